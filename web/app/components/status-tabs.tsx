import { Link } from "@remix-run/react";
import { formatCount } from "../utils/format";

const TABS = [
  ["unresolved", "Unresolved"],
  ["resolved", "Resolved"],
  ["ignored", "Ignored"],
  ["all", "All"],
] as const;

type Filter = (typeof TABS)[number][0];

export function StatusTabs({
  base,
  current,
  counts,
}: {
  base: string;
  current: Filter;
  counts: Record<Filter, number>;
}) {
  return (
    <nav className="tabs" aria-label="Issue status">
      {TABS.map(([value, label]) => (
        <Link
          key={value}
          to={`${base}?status=${value}`}
          className={value === current ? "tab active" : "tab"}
          aria-current={value === current ? "page" : undefined}
        >
          {label} <span className="count">{formatCount(counts[value])}</span>
        </Link>
      ))}
    </nav>
  );
}
