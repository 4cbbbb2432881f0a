import { setPipeline } from "./before-send.js";
import { captureException, DEFAULT_FLUSH_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from "./capture.js";
import { type CodewardenOptions, describeConfig, resolveConfig } from "./config.js";
import { debugLog, setDebug, warnOnce } from "./diagnostics.js";
import { installProcessHooks } from "./process-hooks.js";
import { setRuntime, settleWithin } from "./runtime.js";
import { sharedState } from "./shared-state.js";
import { otherTracerProviderRegistered, type StartedSdk, startSdk } from "./start-sdk.js";

/** What init() returns. */
export interface CodewardenHandle {
  /** True while telemetry is being exported (false for a no-op init and after shutdown). */
  readonly active: boolean;
  /** Exports buffered spans and logs; true when done within `timeoutMs`. Never rejects. */
  flush(timeoutMs?: number): Promise<boolean>;
  /** Flushes, stops exporting and removes the process hooks; true when done within `timeoutMs`. Never rejects. */
  shutdown(timeoutMs?: number): Promise<boolean>;
}

const inactiveHandle: CodewardenHandle = Object.freeze({
  active: false,
  flush: () => Promise.resolve(true),
  shutdown: () => Promise.resolve(true),
});

function startedHandle(): CodewardenHandle | undefined {
  return sharedState().handle as CodewardenHandle | undefined;
}

function remember(handle: CodewardenHandle): CodewardenHandle {
  sharedState().handle = handle;
  return handle;
}

function createHandle(sdk: StartedSdk, removeHooks: () => void): CodewardenHandle {
  let active = true;
  let stopping: Promise<boolean> | undefined;
  const flush = (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) =>
    active ? settleWithin(sdk.forceFlush(), timeoutMs) : Promise.resolve(true);
  const shutdown = (timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) => {
    if (!stopping) {
      active = false;
      removeHooks();
      stopping = settleWithin(sdk.shutdown(), timeoutMs);
    }
    return stopping;
  };
  return {
    get active() {
      return active;
    },
    flush,
    shutdown,
  };
}

/**
 * Starts OpenTelemetry for this process: traces and logs over OTLP/HTTP (protobuf, gzip) to CodeWarden,
 * W3C propagation, crash capture. Explicit options win over `CODEWARDEN_*` / `OTEL_*` environment variables.
 *
 * Never throws: invalid configuration prints one warning to stderr and returns an inactive handle.
 * Calling it again returns the first handle (with a warning).
 */
export function init(options: CodewardenOptions = {}): CodewardenHandle {
  try {
    const previous = startedHandle();
    if (previous) {
      warnOnce("init() was called more than once; keeping the first configuration.");
      return previous;
    }
    const result = resolveConfig(options);
    for (const warning of result.warnings) warnOnce(warning);
    if (!result.ok) {
      warnOnce(`telemetry is off because the configuration is invalid: ${result.errors.join(" ")}`);
      return inactiveHandle;
    }
    const config = result.config;
    setDebug(config.debug);
    if (config.disabled) {
      debugLog("OTEL_SDK_DISABLED is true; not starting.");
      return remember(inactiveHandle);
    }
    if (otherTracerProviderRegistered()) {
      warnOnce(
        "another OpenTelemetry SDK is already registered in this process; CodeWarden's init() did nothing.",
      );
      return remember(inactiveHandle);
    }
    debugLog(`starting with ${describeConfig(config)}`);

    setPipeline({ beforeSend: config.beforeSend, scrub: config.scrub });
    sharedState().instrumented = config.autoInstrumentations.length + config.instrumentations.length > 0;
    const sdk = startSdk(config);
    let handle: CodewardenHandle | undefined;
    const removeHooks = installProcessHooks({
      capture: captureException,
      flush: (timeoutMs, holdProcess) =>
        handle?.active ? settleWithin(sdk.forceFlush(), timeoutMs, holdProcess) : Promise.resolve(true),
      activity: () => sdk.activity(),
      crash: config.crash,
    });
    handle = createHandle(sdk, removeHooks);
    setRuntime(handle);
    return remember(handle);
  } catch (error) {
    warnOnce(
      `telemetry is off because the SDK failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    return inactiveHandle;
  }
}
