import { Link } from "@remix-run/react";
import { formatCount } from "../utils/format";
import { type ListState, type ListStatus, listSearch } from "../utils/list-params";

const TABS: Array<[ListStatus, string]> = [
  ["unresolved", "Unresolved"],
  ["regressed", "Regressed"],
  ["resolved", "Resolved"],
  ["ignored", "Ignored"],
  ["all", "All"],
];

/** Status tabs with counts (of the issues matching the current filters); filters are kept. */
export function StatusTabs({
  base,
  state,
  counts,
}: {
  base: string;
  state: ListState;
  counts: Record<ListStatus, number>;
}) {
  return (
    <nav className="tabs" aria-label="Issue status">
      {TABS.map(([value, label]) => (
        <Link
          key={value}
          to={`${base}${listSearch(state, { status: value })}`}
          className={value === state.status ? "tab active" : "tab"}
          aria-current={value === state.status ? "page" : undefined}
        >
          {label} <span className="count">{formatCount(counts[value])}</span>
        </Link>
      ))}
    </nav>
  );
}
