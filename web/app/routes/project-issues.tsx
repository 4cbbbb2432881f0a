import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { IssueFilters } from "../components/issue-filters";
import { IssueTable } from "../components/issue-table";
import { RouteError } from "../components/route-error";
import { SetupCallToAction } from "../components/setup-call-to-action";
import { StatusTabs } from "../components/status-tabs";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { bulkChangeIssueStatus, loadIssueList } from "../services/issue-list.server";
import { isFiltered, listSearch } from "../utils/list-params";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Issues · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadIssueList(context, user, params.slug, request);
}

/** Bulk resolve / ignore / reopen of the selected issues (POST with CSRF token; audit-logged per issue). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return bulkChangeIssueStatus(context, user, params.slug, form);
}

export default function ProjectIssues() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const base = `/projects/${encodeURIComponent(d.project.slug)}/issues`;
  const filtered = isFiltered(d.state);
  // A project without any issue yet: where to start instead of empty tabs and filters.
  const fresh = d.counts.all === 0 && !filtered;
  const navigation = useNavigation();
  const loading = navigation.state === "loading" && navigation.location.pathname === base;
  return (
    <div className={loading ? "issue-list is-loading" : "issue-list"} aria-busy={loading}>
      <div className="page-head">
        <h1>{d.project.name}</h1>
        <span className="muted">Issues</span>
      </div>
      {fresh ? null : (
        <>
          <IssueFilters base={base} state={d.state} values={d.filterValues} />
          <StatusTabs base={base} state={d.state} counts={d.counts} />
        </>
      )}
      {fresh ? (
        <SetupCallToAction slug={d.project.slug} />
      ) : (
        <IssueTable
          issues={d.issues}
          now={d.now}
          state={d.state}
          base={base}
          csrf={csrf}
          window={d.window}
          result={result}
          filtered={filtered}
        />
      )}
      <nav className="pager" aria-label="Pages">
        <span className="pager-side">
          {d.isFirstPage ? null : <Link to={`${base}${listSearch(d.state)}`}>« First page</Link>}
          {d.prevCursor ? (
            <Link to={`${base}${listSearch(d.state, { cursor: d.prevCursor })}`} rel="prev">
              ‹ Previous
            </Link>
          ) : null}
        </span>
        {d.nextCursor ? (
          <Link to={`${base}${listSearch(d.state, { cursor: d.nextCursor })}`} rel="next">
            Next ›
          </Link>
        ) : null}
      </nav>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteError what="project" back={{ to: "/", label: "Back to the dashboard" }} />;
}
