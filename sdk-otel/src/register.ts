/**
 * Zero-code entry point:
 *   node --import @codewarden/sdk-otel/register app.js     (ES modules)
 *   node --require @codewarden/sdk-otel/register app.cjs   (CommonJS)
 * Configured from the environment only (CODEWARDEN_* and OTEL_* variables). When the SDK starts with at least one
 * instrumentation, OpenTelemetry's ES module hook is registered too, so that `import`ed modules are instrumented.
 */
import { registerEsmHook } from "./esm-hook.js";
import { init } from "./init.js";
import { sharedState } from "./shared-state.js";

if (init().active && sharedState().instrumented) registerEsmHook();
