import { createRequire, register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { debugLog } from "./diagnostics.js";

/**
 * A require() that resolves from this package, as found from the working directory: that is how Node itself
 * resolved `--import @codewarden/sdk-otel/register` (the ES module build has no __filename).
 */
function packageRequire(): NodeJS.Require {
  const fromCwd = createRequire(join(process.cwd(), "noop.js"));
  return createRequire(fromCwd.resolve("@codewarden/sdk-otel/package.json"));
}

/**
 * Registers OpenTelemetry's module hook (import-in-the-middle), so that instrumentations also patch modules
 * loaded with `import` (including `node:http` in an ES module app). Used by the register entry point only
 * (an `init()` called from application code runs after its static imports), and only in the ES module build,
 * i.e. with `--import`: `--require` is for CommonJS apps, which `require()` instrumentations already cover.
 * Never throws.
 */
export function registerEsmHook(): boolean {
  try {
    if (typeof register !== "function" || typeof __filename === "string") return false;
    const hook = packageRequire().resolve("@opentelemetry/instrumentation/hook.mjs");
    register(pathToFileURL(hook).href);
    return true;
  } catch (error) {
    debugLog(`the ES module instrumentation hook was not registered: ${String(error)}`);
    return false;
  }
}
