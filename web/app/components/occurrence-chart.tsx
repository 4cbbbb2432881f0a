import { Link } from "@remix-run/react";
import { formatCount } from "../utils/format";
import { CHART_PERIODS, type ChartPeriod } from "../utils/list-params";
import { bucketLabel, type SeriesWindow, sum } from "../utils/series";

/** About the width it is shown at (the sidebar, a phone), so its text keeps its size. */
const WIDTH = 320;
const HEIGHT = 120;
const TOP = 14;
const BOTTOM = 18;
const PLOT = HEIGHT - TOP - BOTTOM;

const PERIOD_LABEL: Record<ChartPeriod, string> = { "24h": "24 hours, by hour", "14d": "14 days, by day" };

/**
 * Events of an issue per hour (24 h) or per day (14 d), from the exact hourly counters, as an
 * SVG bar chart; each bar has a tooltip, and the numbers are also in a table for screen readers.
 */
export function OccurrenceChart({
  counts,
  window,
  chart,
  hrefFor,
}: {
  counts: number[];
  window: SeriesWindow;
  chart: ChartPeriod;
  /** Link to the same page with another chart period. */
  hrefFor: (chart: ChartPeriod) => string;
}) {
  const peak = Math.max(0, ...counts);
  const max = Math.max(1, peak);
  const slot = WIDTH / Math.max(1, counts.length);
  const total = sum(counts);
  const ticks = [0, Math.floor((counts.length - 1) / 2), counts.length - 1];
  return (
    <section className="card occurrences" aria-labelledby="occurrences-h">
      <div className="card-head">
        <h2 id="occurrences-h">Occurrences</h2>
        <nav className="segmented" aria-label="Chart period">
          {CHART_PERIODS.map((p) => (
            <Link
              key={p}
              to={hrefFor(p)}
              className={p === chart ? "active" : undefined}
              aria-current={p === chart ? "true" : undefined}
              preventScrollReset
              replace
            >
              {p}
            </Link>
          ))}
        </nav>
      </div>
      <p className="muted small" title="Exact counts, including events whose bodies were not stored">
        <strong className="chart-total">{formatCount(total)}</strong> {total === 1 ? "event" : "events"} in
        the last {PERIOD_LABEL[chart]} (UTC)
      </p>
      <svg
        className="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Occurrences over the last ${PERIOD_LABEL[chart]}: ${formatCount(total)} events, at most ${formatCount(peak)} in one ${chart === "24h" ? "hour" : "day"}`}
      >
        <text className="chart-axis" x={0} y={10}>
          {formatCount(peak)}
        </text>
        <rect className="chart-grid" x={0} y={TOP} width={WIDTH} height={0.5} />
        <rect className="chart-base" x={0} y={TOP + PLOT} width={WIDTH} height={1} />
        {counts.map((c, i) => {
          const h = c === 0 ? 0 : Math.max(2, Math.round((c / max) * PLOT * 10) / 10);
          return (
            <rect
              // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positions in time
              key={i}
              className={c === 0 ? "chart-bar empty" : "chart-bar"}
              x={Math.round((i * slot + 0.5) * 10) / 10}
              y={TOP + PLOT - (c === 0 ? 0 : h)}
              width={Math.max(1, Math.round((slot - 1) * 10) / 10)}
              height={c === 0 ? PLOT : h}
              data-count={c}
            >
              <title>{`${bucketLabel(window, i)} UTC: ${formatCount(c)} ${c === 1 ? "event" : "events"}`}</title>
            </rect>
          );
        })}
        {ticks.map((i, k) => (
          <text
            key={i}
            className="chart-axis"
            x={k === 0 ? 0 : k === 2 ? WIDTH : Math.round((i * slot + slot / 2) * 10) / 10}
            y={HEIGHT - 4}
            textAnchor={k === 0 ? "start" : k === 2 ? "end" : "middle"}
          >
            {bucketLabel(window, i)}
          </text>
        ))}
      </svg>
      <table className="visually-hidden">
        <caption>Events per {chart === "24h" ? "hour" : "day"} (UTC)</caption>
        <tbody>
          {counts.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: buckets are positions in time
            <tr key={i}>
              <th scope="row">{bucketLabel(window, i)}</th>
              <td>{c}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
