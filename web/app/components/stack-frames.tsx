import { formatCount } from "../utils/format";

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

/** Consecutive frames of the same kind (in-app or library), with the index of the first. */
function runs(frames: Frame[]): Array<{ inApp: boolean; start: number; frames: Frame[] }> {
  const out: Array<{ inApp: boolean; start: number; frames: Frame[] }> = [];
  frames.forEach((f, i) => {
    const last = out[out.length - 1];
    if (last && last.inApp === f.inApp) last.frames.push(f);
    else out.push({ inApp: f.inApp, start: i, frames: [f] });
  });
  return out;
}

function FrameItem({ f }: { f: Frame }) {
  return (
    <li className={f.inApp ? "frame in-app" : "frame library"}>
      <span className="frame-fn">{f.function ?? "<anonymous>"}</span>
      <span className="frame-loc">{location(f)}</span>
      {f.module && f.file ? <span className="frame-module">{f.module}</span> : null}
      {f.inApp ? <span className="badge in-app-badge">app</span> : null}
    </li>
  );
}

function FrameList({ frames, start }: { frames: Frame[]; start: number }) {
  return (
    <ol className="frame-list" start={start + 1}>
      {frames.map((f, i) => (
        // Frames have no identity beyond their position in the trace.
        // biome-ignore lint/suspicious/noArrayIndexKey: stable list rendered once
        <FrameItem key={start + i} f={f} />
      ))}
    </ol>
  );
}

/**
 * Parsed frames in the trace's own order (innermost call first). In-app frames are shown; each
 * run of library frames is collapsed into a <details> (all are shown when none is in-app).
 */
export function StackFrames({ frames }: { frames: Frame[] }) {
  if (frames.length === 0) return <p className="muted">No parsed frames.</p>;
  const inApp = frames.filter((f) => f.inApp).length;
  return (
    <>
      <p className="muted small">
        {formatCount(frames.length)} frames, {formatCount(inApp)} in app
      </p>
      <div className="frames">
        {inApp === 0 ? (
          <FrameList frames={frames} start={0} />
        ) : (
          runs(frames).map((run) =>
            run.inApp ? (
              <FrameList key={run.start} frames={run.frames} start={run.start} />
            ) : (
              <details key={run.start} className="library-run">
                <summary className="library-summary">
                  {run.frames.length === 1
                    ? "1 library frame"
                    : `${formatCount(run.frames.length)} library frames`}
                </summary>
                <FrameList frames={run.frames} start={run.start} />
              </details>
            ),
          )
        )}
      </div>
    </>
  );
}
