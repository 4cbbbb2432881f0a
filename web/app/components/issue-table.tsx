import { Link } from "@remix-run/react";
import { formatCount, truncate } from "../utils/format";
import { RelativeTime } from "./relative-time";
import { StatusBadge, SummaryLabel } from "./status-badge";

interface IssueListItem {
  id: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: string;
  eventCount: number;
  firstSeen: string;
  lastSeen: string;
  services: string[];
  environments: string[];
  summary: { source: "llm" | "heuristic" } | null;
}

const EMPTY: Record<string, string> = {
  unresolved: "No unresolved issues.",
  resolved: "No resolved issues.",
  ignored: "No ignored issues.",
  all: "No issues yet. Point an OpenTelemetry SDK at the collector and errors will show up here.",
};

/** The issue list; on narrow screens each row becomes a card (see styles.css). */
export function IssueTable({
  issues,
  now,
  status,
}: {
  issues: IssueListItem[];
  now: string;
  status: string;
}) {
  if (issues.length === 0) return <p className="card empty">{EMPTY[status] ?? "No issues."}</p>;
  return (
    <div className="table-wrap">
      <table className="issues">
        <thead>
          <tr>
            <th scope="col">Issue</th>
            <th scope="col">Culprit</th>
            <th scope="col">Services / envs</th>
            <th scope="col" className="num">
              Events
            </th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {issues.map((i) => (
            <tr key={i.id}>
              <td className="issue-cell" data-label="Issue">
                <Link to={`/issues/${i.id}`} className="issue-title">
                  {truncate(i.title, 120)}
                </Link>
                <div className="issue-sub">
                  <span className="exc-type">{truncate(i.exceptionType, 80)}</span>
                  <span className="issue-message" title={truncate(i.message, 1000)}>
                    {truncate(i.message, 140)}
                  </span>
                </div>
                {status === "all" || i.status === "regressed" ? <StatusBadge status={i.status} /> : null}
              </td>
              <td data-label="Culprit" className="mono small">
                {i.culprit ? truncate(i.culprit, 80) : <span className="muted">—</span>}
              </td>
              <td data-label="Services / envs" className="small">
                <div className="chip-stack">
                  <Chips values={i.services} />
                  <Chips values={i.environments} kind="env" />
                </div>
              </td>
              <td data-label="Events" className="num">
                {formatCount(i.eventCount)}
              </td>
              <td data-label="First seen" className="small nowrap">
                <RelativeTime iso={i.firstSeen} now={now} />
              </td>
              <td data-label="Last seen" className="small nowrap">
                <RelativeTime iso={i.lastSeen} now={now} />
              </td>
              <td data-label="Summary">
                <SummaryLabel source={i.summary?.source} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Chips({ values, kind }: { values: string[]; kind?: "env" }) {
  if (values.length === 0) return null;
  const shown = values.slice(0, 3);
  return (
    <span className="chips">
      {shown.map((v) => (
        <span key={v} className={kind === "env" ? "chip env" : "chip"}>
          {truncate(v, 40)}
        </span>
      ))}
      {values.length > shown.length ? <span className="muted">+{values.length - shown.length}</span> : null}
    </span>
  );
}
