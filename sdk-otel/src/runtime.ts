import { sharedState } from "./shared-state.js";

/** The running SDK, shared by init() (which sets it) and the capture/flush/shutdown functions. */
export interface Runtime {
  /** Exports everything buffered; resolves true when done within `timeoutMs`. Never rejects. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Flushes and stops exporting; resolves true when done within `timeoutMs`. Never rejects. */
  shutdown(timeoutMs: number): Promise<boolean>;
}

export function getRuntime(): Runtime | undefined {
  return sharedState().runtime;
}

export function setRuntime(runtime: Runtime | undefined): void {
  sharedState().runtime = runtime;
}

/**
 * Resolves true when `work` fulfils within `timeoutMs`, false when it rejects or takes longer.
 * With `holdProcess` false the timer does not keep the event loop alive on its own.
 */
export function settleWithin(
  work: Promise<unknown>,
  timeoutMs: number,
  holdProcess = false,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
    if (!holdProcess) timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
