import { formatCount } from "../utils/format";

type TagKey = "service" | "version" | "environment" | "host" | "route" | "user";

interface Breakdown {
  sampled: number;
  tags: Array<{ key: TagKey; total: number; values: Array<{ value: string; count: number }> }>;
}

const LABELS: Record<TagKey, string> = {
  service: "Service",
  version: "Version",
  environment: "Environment",
  host: "Host",
  route: "Route",
  user: "User",
};

function percent(count: number, total: number): number {
  return total === 0 ? 0 : Math.round((count / total) * 1000) / 10;
}

function ShareBar({ share }: { share: number }) {
  return (
    <svg className="share-bar" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
      <rect className="share-track" x={0} y={0} width={100} height={4} />
      <rect className="share-fill" x={0} y={0} width={share} height={4} />
    </svg>
  );
}

/** Top values of the tags over its most recent stored events, with counts and shares. */
export function TagBreakdown({ breakdown, sampleLimit }: { breakdown: Breakdown; sampleLimit: number }) {
  const { sampled } = breakdown;
  return (
    <section className="card tags" aria-labelledby="tags-h">
      <h2 id="tags-h">Tags</h2>
      <p className="muted small">
        {sampled === 0
          ? "No stored events to break down."
          : sampled >= sampleLimit
            ? `Based on the ${formatCount(sampled)} most recent stored events, not on every event.`
            : `Based on ${formatCount(sampled)} stored ${sampled === 1 ? "event" : "events"}, not on every event.`}
      </p>
      {sampled > 0
        ? breakdown.tags.map((tag) => {
            const shown = tag.values.reduce((n, v) => n + v.count, 0);
            const other = tag.total - shown;
            return (
              <div key={tag.key} className="tag">
                <h3>{LABELS[tag.key]}</h3>
                {tag.values.length === 0 ? (
                  <p className="muted small">Not set on these events.</p>
                ) : (
                  <ul className="tag-values">
                    {tag.values.map((v) => (
                      <li key={v.value}>
                        <span className="tag-value" title={v.value}>
                          {v.value}
                        </span>
                        <span className="tag-count">
                          {formatCount(v.count)} · {percent(v.count, tag.total)}%
                        </span>
                        <ShareBar share={percent(v.count, tag.total)} />
                      </li>
                    ))}
                    {other > 0 ? (
                      <li className="muted">
                        <span className="tag-value">Other</span>
                        <span className="tag-count">
                          {formatCount(other)} · {percent(other, tag.total)}%
                        </span>
                        <ShareBar share={percent(other, tag.total)} />
                      </li>
                    ) : null}
                  </ul>
                )}
              </div>
            );
          })
        : null}
    </section>
  );
}
