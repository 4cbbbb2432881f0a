import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { KeyValueTable } from "../components/key-value-table";
import { RelativeTime } from "../components/relative-time";
import { StackFrames } from "../components/stack-frames";
import { StatusBadge } from "../components/status-badge";
import { SummaryBox } from "../components/summary-box";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { changeIssueStatus, loadIssueDetail } from "../services/dashboard.server";
import { formatCount, formatUtc, truncate } from "../utils/format";
import { IGNORE_COUNTS } from "../utils/issue-actions";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${truncate(data.issue.title, 80)} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadIssueDetail(context, user, params.id);
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
  throw redirect(`/issues/${params.id}`);
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

export default function IssueDetail() {
  const { issue, project, latestEvent: ev, recentEvents, now } = useLoaderData<typeof loader>();
  const { csrf } = useShell();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const note = statusNote(issue);
  return (
    <article className="issue-page">
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
              <Form method="post" key={intent} className="issue-action">
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
          <dt>Services</dt>
          <dd>{issue.services.length ? issue.services.join(", ") : "—"}</dd>
        </div>
        <div>
          <dt>Environments</dt>
          <dd>{issue.environments.length ? issue.environments.join(", ") : "—"}</dd>
        </div>
        <div>
          <dt>Users</dt>
          <dd>{formatCount(issue.userCount)}</dd>
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
      </dl>

      <SummaryBox summary={issue.summary} />

      <section className="card" aria-labelledby="latest-event">
        <h2 id="latest-event">Latest event</h2>
        {ev ? (
          <>
            <p className="event-exception">
              <span className="exc-type">{ev.exceptionType}</span>:{" "}
              <span className="event-message">{ev.message}</span>
            </p>
            <dl className="meta-grid">
              <div>
                <dt>Time</dt>
                <dd>
                  <RelativeTime iso={ev.timestamp} now={now} />{" "}
                  <span className="muted small">{formatUtc(ev.timestamp)}</span>
                </dd>
              </div>
              <div>
                <dt>Service</dt>
                <dd>
                  {ev.serviceName ?? "—"}
                  {ev.serviceVersion ? <span className="muted"> @ {ev.serviceVersion}</span> : null}
                </dd>
              </div>
              <div>
                <dt>Environment</dt>
                <dd>{ev.environment ?? "—"}</dd>
              </div>
              <div>
                <dt>Trace id</dt>
                <dd className="mono small">{ev.traceId ?? "—"}</dd>
              </div>
              <div>
                <dt>Span id</dt>
                <dd className="mono small">{ev.spanId ?? "—"}</dd>
              </div>
            </dl>
            <h3>Stack</h3>
            <StackFrames frames={ev.frames} />
            {ev.stacktrace ? (
              <details className="raw-trace" open={ev.frames.length === 0}>
                <summary>Raw stack trace</summary>
                <pre>{ev.stacktrace}</pre>
              </details>
            ) : null}
            <h3>Attributes</h3>
            <KeyValueTable
              entries={Object.entries(ev.attributes).sort(([a], [b]) => a.localeCompare(b))}
              empty="No attributes."
            />
            <h3>Resource</h3>
            <KeyValueTable
              entries={Object.entries(ev.resource).sort(([a], [b]) => a.localeCompare(b))}
              empty="No resource attributes."
            />
          </>
        ) : (
          <p className="muted">No stored events for this issue (event bodies are kept for a limited time).</p>
        )}
      </section>

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
                  <tr key={e.id}>
                    <td data-label="Time" className="small nowrap">
                      <RelativeTime iso={e.timestamp} now={now} />
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
