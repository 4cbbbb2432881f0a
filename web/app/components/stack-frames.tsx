interface Frame {
  function: string | null;
  module: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  inApp: boolean;
}

function location(f: Frame): string {
  const where = f.file ?? f.module ?? "<unknown>";
  if (f.line === null) return where;
  return f.column === null ? `${where}:${f.line}` : `${where}:${f.line}:${f.column}`;
}

/** Parsed frames, in the trace's own order; in-app frames emphasised, library frames dimmed. */
export function StackFrames({ frames }: { frames: Frame[] }) {
  if (frames.length === 0) return <p className="muted">No parsed frames.</p>;
  const inApp = frames.filter((f) => f.inApp).length;
  return (
    <>
      <p className="muted small">
        {frames.length} frames, {inApp} in app
      </p>
      <ol className="frames">
        {frames.map((f, i) => (
          <li
            // Frames have no identity beyond their position in the trace.
            // biome-ignore lint/suspicious/noArrayIndexKey: stable list rendered once
            key={i}
            className={f.inApp ? "frame in-app" : "frame library"}
          >
            <span className="frame-fn">{f.function ?? "<anonymous>"}</span>
            <span className="frame-loc">{location(f)}</span>
            {f.module && f.file ? <span className="frame-module">{f.module}</span> : null}
            {f.inApp ? <span className="badge in-app-badge">app</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
