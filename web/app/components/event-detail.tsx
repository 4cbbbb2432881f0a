import { formatUtc } from "../utils/format";
import { eventSourceLabel, resourceEntries, spanKindName, spanStatusName } from "../utils/otel-names";
import { ChainedExceptions } from "./chained-exceptions";
import { KeyValueTable } from "./key-value-table";
import { RelativeTime } from "./relative-time";
import { StackFrames } from "./stack-frames";

export interface EventDetail {
  id: string;
  timestamp: string;
  traceId: string | null;
  spanId: string | null;
  serviceName: string | null;
  serviceVersion: string | null;
  environment: string | null;
  exceptionType: string;
  message: string;
  stacktrace: string | null;
  frames: Array<{
    function: string | null;
    module: string | null;
    file: string | null;
    line: number | null;
    column: number | null;
    inApp: boolean;
  }>;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | null>;
  span: { name: string; kind: number; statusCode: number } | null;
  source: string;
  /** Link to the trace in the configured tracing UI. */
  traceUrl: string | null;
}

/** One stored event: exception, where it happened, its stack (and chained exceptions), span and resource. */
export function EventDetailView({ ev, now }: { ev: EventDetail; now: string }) {
  return (
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
          <dt>Span</dt>
          <dd>
            {ev.span ? (
              <>
                <span className="mono small">{ev.span.name}</span>{" "}
                <span className="muted small">
                  {spanKindName(ev.span.kind)}, {spanStatusName(ev.span.statusCode)}
                </span>
              </>
            ) : (
              <span className="muted">{eventSourceLabel(ev.source)}</span>
            )}
          </dd>
        </div>
        <div className="wide">
          <dt>Trace id</dt>
          <dd className="mono small">
            {ev.traceId ? (
              ev.traceUrl ? (
                <a href={ev.traceUrl} target="_blank" rel="noopener noreferrer" className="trace-link">
                  {ev.traceId}
                  <span className="visually-hidden"> (opens the trace in a new tab)</span>
                </a>
              ) : (
                ev.traceId
              )
            ) : (
              "—"
            )}
          </dd>
        </div>
        <div>
          <dt>Span id</dt>
          <dd className="mono small">{ev.spanId ?? "—"}</dd>
        </div>
      </dl>
      <h3>Stack trace</h3>
      <StackFrames frames={ev.frames} />
      <ChainedExceptions stacktrace={ev.stacktrace} />
      {ev.stacktrace ? (
        <details className="raw-trace" open={ev.frames.length === 0}>
          <summary>Raw stack trace</summary>
          <pre>{ev.stacktrace}</pre>
        </details>
      ) : null}
      <h3>Span attributes</h3>
      <KeyValueTable
        entries={Object.entries(ev.attributes).sort(([a], [b]) => a.localeCompare(b))}
        empty="No attributes."
      />
      <h3>Resource</h3>
      <KeyValueTable entries={resourceEntries(ev.resource)} empty="No resource attributes." />
    </>
  );
}
