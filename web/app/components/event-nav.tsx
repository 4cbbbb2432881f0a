import { Link } from "@remix-run/react";
import { formatCount } from "../utils/format";

interface Nav {
  newestId: string | null;
  oldestId: string | null;
  newerId: string | null;
  olderId: string | null;
  storedCount: number;
  storedMore: boolean;
}

/** Oldest / older / newer / newest through an issue's stored events (`?event=<id>`). */
export function EventNav({
  nav,
  currentId,
  hrefFor,
}: {
  nav: Nav;
  currentId: string;
  /** Link to the page showing event `id` (null: the newest). */
  hrefFor: (id: string | null) => string;
}) {
  const step = (label: string, id: string | null, rel: string, newest = false) =>
    id && id !== currentId ? (
      <Link to={hrefFor(newest ? null : id)} className="button small" rel={rel} preventScrollReset>
        {label}
      </Link>
    ) : (
      <span className="button small disabled" aria-disabled="true">
        {label}
      </span>
    );
  return (
    <nav className="event-nav" aria-label="Stored events">
      {step("« Oldest", nav.oldestId, "first")}
      {step("‹ Older", nav.olderId, "next")}
      {step("Newer ›", nav.newerId, "prev")}
      {step("Newest »", nav.newestId, "last", true)}
      <span className="muted small">
        {formatCount(nav.storedCount)}
        {nav.storedMore ? "+" : ""} stored
      </span>
    </nav>
  );
}
