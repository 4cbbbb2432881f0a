import { formatCount } from "../utils/format";
import { bucketLabel, type SeriesWindow, sum } from "../utils/series";

const WIDTH = 96;
const HEIGHT = 24;

/** A compact bar chart of an issue's events per bucket (inline SVG, no script). */
export function Sparkline({
  counts,
  window,
  period,
}: {
  counts: number[];
  window: SeriesWindow;
  period: string;
}) {
  const n = counts.length;
  const max = Math.max(1, ...counts);
  const slot = WIDTH / Math.max(1, n);
  const total = sum(counts);
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`${formatCount(total)} events in the last ${period}`}
      data-total={total}
    >
      <rect className="spark-base" x={0} y={HEIGHT - 1} width={WIDTH} height={1} />
      {counts.map((c, i) => {
        if (c === 0) return null;
        const h = Math.max(2, Math.round((c / max) * (HEIGHT - 2) * 10) / 10);
        return (
          <rect
            // Buckets are positions in time: the index is their identity.
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed-length series
            key={i}
            className="spark-bar"
            x={Math.round(i * slot * 10) / 10}
            y={HEIGHT - h}
            width={Math.max(1, Math.round((slot - 1) * 10) / 10)}
            height={h}
            data-count={c}
          >
            <title>{`${bucketLabel(window, i)} UTC: ${formatCount(c)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
