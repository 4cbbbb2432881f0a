import type { Attributes } from "@opentelemetry/api";
import type { CrashFlags } from "./config.js";
import { debugLog } from "./diagnostics.js";
import { formatLikeNode } from "./exception.js";

/** How long a crashing process waits for telemetry before it exits. */
export const CRASH_FLUSH_TIMEOUT_MS = 2000;
/** How long SIGTERM and a natural exit wait for telemetry. */
export const EXIT_FLUSH_TIMEOUT_MS = 2000;

export interface HookDeps {
  capture(error: unknown, attributes: Attributes): void;
  /** Bounded flush; `holdProcess` keeps the event loop alive until it settles or times out. */
  flush(timeoutMs: number, holdProcess: boolean): Promise<boolean>;
  /** Count of spans ended and log records emitted so far. */
  activity(): number;
  crash: CrashFlags;
}

/** The text Node prints when it dies of `error` (the process's last words on stderr). */
export function crashReport(error: unknown): string {
  return `\n${formatLikeNode(error)}\n\nNode.js ${process.version}\n`;
}

/**
 * Installs the crash and exit hooks; returns a function that removes them.
 *
 * - uncaughtException — which in Node's default `throw` and in `strict` mode also receives unhandled
 *   rejections (origin "unhandledRejection", non-Error reasons wrapped by Node): capture, print the error
 *   as Node would, flush for at most CRASH_FLUSH_TIMEOUT_MS, exit 1. When the application has its own
 *   uncaughtException listener it keeps control: the error is only captured and flushed in the background.
 * - unhandledRejection is listened to only in `warn`/`none` mode, where a listener changes nothing in
 *   Node's behaviour: captured only. (`warn-with-error-code` is left alone: a listener would disable it.)
 * - SIGTERM: flush (bounded); if nothing else handles SIGTERM, re-raise it so the process ends as before.
 * - beforeExit: flush what was produced since the last exit flush; bounded when nothing else listens.
 * - With --abort-on-uncaught-exception no uncaughtException listener is installed (it would prevent the abort).
 */
export function installProcessHooks(deps: HookDeps): () => void {
  let crashing = false;
  let terminating = false;
  let exitFlushing = false;
  let activityAtLastExitFlush = -1;

  const onUncaught = (error: unknown, origin: string) => {
    const mechanism = origin === "unhandledRejection" ? "unhandledRejection" : "uncaughtException";
    deps.capture(error, { "codewarden.mechanism": mechanism });
    if (process.listenerCount("uncaughtException") > 1) {
      void deps.flush(CRASH_FLUSH_TIMEOUT_MS, false); // the application's own listener decides what happens
      return;
    }
    if (crashing) return; // already on the way out; this one is captured too
    crashing = true;
    try {
      process.stderr.write(crashReport(error));
    } catch {
      // stderr unavailable: still flush and exit
    }
    void deps.flush(CRASH_FLUSH_TIMEOUT_MS, true).then((done) => {
      debugLog(done ? "flushed after crash" : "crash flush timed out");
      process.exit(1);
    });
  };

  const onRejection = (reason: unknown) => {
    deps.capture(reason, { "codewarden.mechanism": "unhandledRejection" });
    void deps.flush(CRASH_FLUSH_TIMEOUT_MS, false);
  };

  const onSigterm = () => {
    const othersHandleIt = process.listenerCount("SIGTERM") > 1;
    if (terminating && !othersHandleIt) {
      // Second SIGTERM while flushing: stop waiting.
      process.off("SIGTERM", onSigterm);
      process.kill(process.pid, "SIGTERM");
      return;
    }
    terminating = true;
    void deps.flush(EXIT_FLUSH_TIMEOUT_MS, !othersHandleIt).then(() => {
      if (othersHandleIt || process.listenerCount("SIGTERM") > 1) return;
      process.off("SIGTERM", onSigterm);
      process.kill(process.pid, "SIGTERM"); // default action: terminate by signal, as without us
    });
  };

  const onBeforeExit = () => {
    const activity = deps.activity();
    if (exitFlushing || crashing || activity === activityAtLastExitFlush) return;
    activityAtLastExitFlush = activity;
    exitFlushing = true;
    // When we are the only beforeExit listener, only our export can be keeping the process alive now;
    // do not let an unreachable endpoint hold the exit for longer than the bound.
    const onlyListener = process.listenerCount("beforeExit") === 1;
    const deadline = onlyListener ? setTimeout(() => process.exit(), EXIT_FLUSH_TIMEOUT_MS) : undefined;
    void deps.flush(EXIT_FLUSH_TIMEOUT_MS, false).then(() => {
      if (deadline) clearTimeout(deadline);
      exitFlushing = false;
    });
  };

  if (!deps.crash.abortOnUncaught) process.on("uncaughtException", onUncaught);
  if (deps.crash.rejectionMode === "warn" || deps.crash.rejectionMode === "none") {
    process.on("unhandledRejection", onRejection);
  }
  process.on("SIGTERM", onSigterm);
  process.on("beforeExit", onBeforeExit);

  return () => {
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onRejection);
    process.off("SIGTERM", onSigterm);
    process.off("beforeExit", onBeforeExit);
  };
}
