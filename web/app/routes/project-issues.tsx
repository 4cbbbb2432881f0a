import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { IssueTable } from "../components/issue-table";
import { StatusTabs } from "../components/status-tabs";
import { requireUser } from "../services/auth.server";
import { loadIssueList } from "../services/dashboard.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Issues · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadIssueList(context, user, params.slug, request);
}

export default function ProjectIssues() {
  const d = useLoaderData<typeof loader>();
  const base = `/projects/${encodeURIComponent(d.project.slug)}/issues`;
  const statusQuery = `status=${encodeURIComponent(d.status)}`;
  return (
    <>
      <div className="page-head">
        <h1>{d.project.name}</h1>
        <span className="muted">Issues</span>
      </div>
      <StatusTabs base={base} current={d.status} counts={d.counts} />
      <IssueTable issues={d.issues} now={d.now} status={d.status} />
      <nav className="pager" aria-label="Pages">
        {d.isFirstPage ? <span /> : <Link to={`${base}?${statusQuery}`}>← Newest</Link>}
        {d.nextCursor ? (
          <Link to={`${base}?${statusQuery}&cursor=${encodeURIComponent(d.nextCursor)}`} rel="next">
            Older →
          </Link>
        ) : null}
      </nav>
    </>
  );
}
