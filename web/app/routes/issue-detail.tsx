import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { EventDetailView } from "../components/event-detail";
import { EventNav } from "../components/event-nav";
import { OccurrenceChart } from "../components/occurrence-chart";
import { RelativeTime } from "../components/relative-time";
import { RouteError } from "../components/route-error";
import { StatusBadge } from "../components/status-badge";
import { SummaryBox } from "../components/summary-box";
import { TagBreakdown } from "../components/tag-breakdown";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { changeIssueStatus } from "../services/dashboard.server";
import { loadIssueDetail } from "../services/issue-page.server";
import { formatCount, truncate } from "../utils/format";
import { IGNORE_COUNTS } from "../utils/issue-actions";
import type { ChartPeriod } from "../utils/list-params";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${truncate(data.issue.title, 80)} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadIssueDetail(context, user, params.id, request);
}

/** Resolve (now or in the next release) / ignore (until N more events) / reopen (POST with CSRF token; audit-logged). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  const problem = await changeIssueStatus(
    context,
    user,
    params.id,
    form.get("intent"),
    form.get("ignoreCount"),
  );
  if (problem) return { error: problem };
  // Back to the same view (event, chart period) of the issue.
  const url = new URL(request.url);
  const back = new URLSearchParams();
  for (const key of ["event", "chart"]) {
    const value = url.searchParams.get(key);
    if (value) back.set(key, value);
  }
  throw redirect(`/issues/${params.id}${back.size ? `?${back}` : ""}`);
}

type Action = [intent: string, label: string];
const RESOLVE: Action = ["resolve", "Resolve"];
const RESOLVE_NEXT: Action = ["resolveNextRelease", "Resolve in next release"];
const IGNORE: Action = ["ignore", "Ignore"];
const ACTIONS: Record<string, Action[]> = {
  unresolved: [RESOLVE, RESOLVE_NEXT, IGNORE],
  regressed: [RESOLVE, RESOLVE_NEXT, IGNORE],
  resolved: [["reopen", "Reopen"]],
  ignored: [["reopen", "Stop ignoring"], RESOLVE],
};

function statusNote(issue: {
  status: string;
  resolution: string | null;
  resolvedInRelease: string | null;
  ignoreUntilCount: number | null;
  eventCount: number;
}): string | null {
  if (issue.status === "resolved" && issue.resolution === "next_release")
    return `Resolved in the release after ${issue.resolvedInRelease}: its events do not reopen it.`;
  if (issue.status === "ignored" && issue.ignoreUntilCount !== null)
    return `Ignored until ${formatCount(issue.ignoreUntilCount - issue.eventCount)} more events.`;
  return null;
}

/** `?event=…&chart=…` for the issue page, leaving out defaults. */
function pageSearch(event: string | null, chart: ChartPeriod): string {
  const params = new URLSearchParams();
  if (event) params.set("event", event);
  if (chart !== "24h") params.set("chart", chart);
  const s = params.toString();
  return s ? `?${s}` : "";
}

export default function IssueDetail() {
  const {
    issue,
    project,
    event: ev,
    nav,
    occurrences,
    tags,
    tagSample,
    recentEvents,
    now,
  } = useLoaderData<typeof loader>();
  const { csrf } = useShell();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const note = statusNote(issue);
  const path = `/issues/${issue.id}`;
  const isNewest = ev !== null && ev.id === nav.newestId;
  const eventParam = ev && !isNewest ? ev.id : null;
  const loading = navigation.state === "loading" && navigation.location.pathname === path;
  return (
    <article className={loading ? "issue-page is-loading" : "issue-page"} aria-busy={loading}>
      <p className="crumbs">
        <Link to={`/projects/${encodeURIComponent(project.slug)}/issues`}>← {project.name} issues</Link>
      </p>
      <header className="issue-head">
        <div className="issue-head-text">
          <h1 className="issue-h1">{issue.title}</h1>
          <p className="issue-sub">
            <span className="exc-type">{issue.exceptionType}</span>
            {issue.culprit ? <span className="mono small muted">in {issue.culprit}</span> : null}
          </p>
        </div>
        <div className="issue-actions">
          <StatusBadge status={issue.status} />
          {(ACTIONS[issue.status] ?? [])
            .filter(([intent]) => intent !== "resolveNextRelease" || issue.lastRelease !== null)
            .map(([intent, label]) => (
              <Form method="post" key={intent} className="issue-action" preventScrollReset>
                <CsrfInput token={csrf} />
                <input type="hidden" name="intent" value={intent} />
                {intent === "ignore" ? (
                  <select name="ignoreCount" aria-label="Ignore for how long" defaultValue="">
                    <option value="">until changed</option>
                    {IGNORE_COUNTS.map((n) => (
                      <option key={n} value={n}>
                        until {formatCount(n)} more events
                      </option>
                    ))}
                  </select>
                ) : null}
                <button
                  type="submit"
                  className={intent === "resolve" ? "button primary" : "button"}
                  disabled={busy}
                  title={
                    intent === "resolveNextRelease"
                      ? `Events from ${issue.lastRelease} will not reopen it; a newer release will`
                      : undefined
                  }
                >
                  {label}
                </button>
              </Form>
            ))}
        </div>
      </header>
      {actionData?.error ? (
        <p className="notice error" role="alert">
          {actionData.error}
        </p>
      ) : null}
      {note ? <p className="notice">{note}</p> : null}

      <dl className="facts card">
        <div>
          <dt>Events</dt>
          <dd>{formatCount(issue.eventCount)}</dd>
        </div>
        <div>
          <dt>Users</dt>
          <dd>{formatCount(issue.userCount)}</dd>
        </div>
        <div>
          <dt>First seen</dt>
          <dd>
            <RelativeTime iso={issue.firstSeen} now={now} />
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <RelativeTime iso={issue.lastSeen} now={now} />
          </dd>
        </div>
        <div>
          <dt>Releases</dt>
          <dd>
            {issue.firstRelease === null
              ? "—"
              : issue.firstRelease === issue.lastRelease
                ? issue.firstRelease
                : `${issue.firstRelease} → ${issue.lastRelease}`}
          </dd>
        </div>
        <div>
          <dt>Services</dt>
          <dd>{issue.services.length ? issue.services.join(", ") : "—"}</dd>
        </div>
        <div>
          <dt>Environments</dt>
          <dd>{issue.environments.length ? issue.environments.join(", ") : "—"}</dd>
        </div>
      </dl>

      <div className="issue-grid">
        <div className="issue-main">
          <SummaryBox summary={issue.summary} model={issue.summaryModel} />

          <section className="card event" aria-labelledby="event-h">
            <div className="card-head">
              <h2 id="event-h">{isNewest ? "Latest event" : "Event"}</h2>
              {ev ? (
                <EventNav
                  nav={nav}
                  currentId={ev.id}
                  hrefFor={(id) => `${path}${pageSearch(id, occurrences.chart)}`}
                />
              ) : null}
            </div>
            {ev ? (
              <EventDetailView ev={ev} now={now} />
            ) : (
              <p className="muted">
                No stored events for this issue: event bodies are kept for a limited time (the counts stay).
              </p>
            )}
          </section>
        </div>

        <aside className="issue-side" aria-label="Occurrences and tags">
          <OccurrenceChart
            counts={occurrences.counts}
            window={occurrences.window}
            chart={occurrences.chart}
            hrefFor={(chart) => `${path}${pageSearch(eventParam, chart)}`}
          />
          <TagBreakdown breakdown={tags} sampleLimit={tagSample} />
        </aside>
      </div>

      <section className="card" aria-labelledby="recent-events">
        <h2 id="recent-events">Recent events</h2>
        {recentEvents.length === 0 ? (
          <p className="muted">None stored.</p>
        ) : (
          <div className="table-wrap">
            <table className="events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Service</th>
                  <th scope="col">Environment</th>
                  <th scope="col">Message</th>
                  <th scope="col">Trace</th>
                </tr>
              </thead>
              <tbody>
                {recentEvents.map((e) => (
                  <tr key={e.id} className={e.id === ev?.id ? "current" : undefined}>
                    <td data-label="Time" className="small nowrap">
                      <Link
                        to={`${path}${pageSearch(e.id === nav.newestId ? null : e.id, occurrences.chart)}`}
                        aria-current={e.id === ev?.id ? "true" : undefined}
                      >
                        <RelativeTime iso={e.timestamp} now={now} />
                      </Link>
                    </td>
                    <td data-label="Service" className="small">
                      {e.serviceName ?? "—"}
                      {e.serviceVersion ? <span className="muted"> @ {e.serviceVersion}</span> : null}
                    </td>
                    <td data-label="Environment" className="small">
                      {e.environment ?? "—"}
                    </td>
                    <td data-label="Message" className="small" title={truncate(e.message, 1000)}>
                      {truncate(e.message, 120)}
                    </td>
                    <td data-label="Trace" className="mono small">
                      {e.traceId ? truncate(e.traceId, 16) : "—"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </article>
  );
}

export function ErrorBoundary() {
  return <RouteError what="issue" back={{ to: "/", label: "Back to the dashboard" }} />;
}
