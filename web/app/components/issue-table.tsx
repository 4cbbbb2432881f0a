import { Form, Link, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { formatCount, truncate } from "../utils/format";
import { CHART_PERIODS, LIST_SORTS, type ListSort, type ListState, listSearch } from "../utils/list-params";
import type { SeriesWindow } from "../utils/series";
import { CsrfInput } from "./csrf-input";
import { RelativeTime } from "./relative-time";
import { Sparkline } from "./sparkline";
import { StatusBadge, SummaryLabel } from "./status-badge";

export interface IssueListItem {
  id: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: string;
  eventCount: number;
  userCount: number;
  firstSeen: string;
  lastSeen: string;
  services: string[];
  environments: string[];
  summary: { source: "llm" | "heuristic" } | null;
  /** Events per sparkline bucket. */
  series: number[];
}

const EMPTY: Record<string, string> = {
  unresolved: "No unresolved issues.",
  regressed: "No regressed issues.",
  resolved: "No resolved issues.",
  ignored: "No ignored issues.",
  all: "No issues yet. Point an OpenTelemetry SDK at the collector and errors will show up here.",
};

type Intent = [intent: "resolve" | "ignore" | "reopen", label: string];
/** Bulk buttons per status tab. */
const BULK: Record<string, Intent[]> = {
  unresolved: [
    ["resolve", "Resolve"],
    ["ignore", "Ignore"],
  ],
  regressed: [
    ["resolve", "Resolve"],
    ["ignore", "Ignore"],
  ],
  resolved: [["reopen", "Reopen"]],
  ignored: [
    ["reopen", "Stop ignoring"],
    ["resolve", "Resolve"],
  ],
  all: [
    ["resolve", "Resolve"],
    ["ignore", "Ignore"],
    ["reopen", "Reopen"],
  ],
};

function SortHeader({
  sort,
  state,
  base,
  className,
}: {
  sort: ListSort;
  state: ListState;
  base: string;
  className?: string;
}) {
  const active = state.sort === sort;
  return (
    <th scope="col" className={className} aria-sort={active ? "descending" : undefined}>
      <Link to={`${base}${listSearch(state, { sort })}`} className={active ? "sort active" : "sort"}>
        {LIST_SORTS[sort]}
        {active ? <span aria-hidden="true"> ↓</span> : null}
      </Link>
    </th>
  );
}

/**
 * The issue list with checkboxes for bulk actions (a CSRF-protected POST form that works
 * without JavaScript); on narrow screens each row becomes a card (see styles.css).
 */
export function IssueTable({
  issues,
  now,
  state,
  base,
  csrf,
  window,
  result,
  filtered,
}: {
  issues: IssueListItem[];
  now: string;
  state: ListState;
  base: string;
  csrf: string;
  window: SeriesWindow;
  /** Outcome of the last bulk action. */
  result?: { ok: boolean; message: string };
  filtered: boolean;
}) {
  const form = useRef<HTMLFormElement>(null);
  const [hydrated, setHydrated] = useState(false);
  const [selected, setSelected] = useState(0);
  const busy = useNavigation().state === "submitting";
  useEffect(() => setHydrated(true), []);
  // After a bulk action (or a new page of issues), nothing is selected.
  // biome-ignore lint/correctness/useExhaustiveDependencies: these values are what triggers the reset
  useEffect(() => {
    form.current?.reset();
    setSelected(0);
  }, [result, issues]);

  if (issues.length === 0) {
    return (
      <>
        {result ? <BulkResult result={result} /> : null}
        <p className="card empty">
          {filtered ? "No issues match these filters." : (EMPTY[state.status] ?? "No issues.")}
        </p>
      </>
    );
  }
  const countSelected = () =>
    setSelected(form.current?.querySelectorAll<HTMLInputElement>("input[name=issue]:checked").length ?? 0);
  const selectAll = (checked: boolean) => {
    for (const box of form.current?.querySelectorAll<HTMLInputElement>("input[name=issue]") ?? [])
      box.checked = checked;
    countSelected();
  };
  return (
    <Form method="post" ref={form} className="bulk-form" onChange={countSelected} preventScrollReset>
      <CsrfInput token={csrf} />
      <div className="bulk-bar">
        {hydrated ? (
          <label className="select-all">
            <input
              type="checkbox"
              checked={selected === issues.length}
              ref={(el) => {
                if (el) el.indeterminate = selected > 0 && selected < issues.length;
              }}
              onChange={(e) => selectAll(e.target.checked)}
              aria-label="Select all issues on this page"
            />
          </label>
        ) : null}
        <span className="muted small" aria-live="polite">
          {hydrated
            ? selected === 0
              ? "Select issues to change them at once"
              : `${selected} selected`
            : "With the selected issues:"}
        </span>
        <span className="bulk-buttons">
          {(BULK[state.status] ?? []).map(([intent, label]) => (
            <button
              key={intent}
              type="submit"
              name="intent"
              value={intent}
              className="button small"
              disabled={busy || (hydrated && selected === 0)}
            >
              {label}
            </button>
          ))}
        </span>
      </div>
      {result ? <BulkResult result={result} /> : null}
      <div className="table-wrap">
        <table className="issues">
          <thead>
            <tr>
              <th scope="col" className="select-col">
                <span className="visually-hidden">Select</span>
              </th>
              <th scope="col">Issue</th>
              <th scope="col" className="graph-col">
                <span className="graph-head">
                  Graph
                  {CHART_PERIODS.map((p) => (
                    <Link
                      key={p}
                      to={`${base}${listSearch(state, { chart: p })}`}
                      className={p === state.chart ? "chart-toggle active" : "chart-toggle"}
                      aria-current={p === state.chart ? "true" : undefined}
                      aria-label={`Graph of the last ${p}`}
                      preventScrollReset
                    >
                      {p}
                    </Link>
                  ))}
                </span>
              </th>
              <SortHeader sort="events" state={state} base={base} className="num" />
              <SortHeader sort="users" state={state} base={base} className="num" />
              <SortHeader sort="last_seen" state={state} base={base} />
              <SortHeader sort="first_seen" state={state} base={base} />
            </tr>
          </thead>
          <tbody>
            {issues.map((i) => (
              <tr key={i.id}>
                <td className="select-col">
                  <input
                    type="checkbox"
                    name="issue"
                    value={i.id}
                    aria-label={`Select ${truncate(i.title, 80)}`}
                  />
                </td>
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
                  <div className="issue-meta">
                    {i.culprit ? <span className="mono culprit">{truncate(i.culprit, 80)}</span> : null}
                    <Chips values={i.services} />
                    <Chips values={i.environments} kind="env" />
                    {state.status === "all" || i.status === "regressed" ? (
                      <StatusBadge status={i.status} />
                    ) : null}
                    <SummaryLabel source={i.summary?.source} />
                  </div>
                </td>
                <td data-label={`Last ${state.chart}`} className="graph-col">
                  <Sparkline
                    counts={i.series}
                    window={window}
                    period={state.chart === "24h" ? "24 hours" : "14 days"}
                  />
                </td>
                <td data-label="Events" className="num">
                  {formatCount(i.eventCount)}
                </td>
                <td data-label="Users" className="num">
                  {formatCount(i.userCount)}
                </td>
                <td data-label="Last seen" className="small nowrap">
                  <RelativeTime iso={i.lastSeen} now={now} />
                </td>
                <td data-label="First seen" className="small nowrap">
                  <RelativeTime iso={i.firstSeen} now={now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Form>
  );
}

function BulkResult({ result }: { result: { ok: boolean; message: string } }) {
  return (
    <p className={result.ok ? "notice ok" : "notice error"} role={result.ok ? "status" : "alert"}>
      {result.message}
    </p>
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
