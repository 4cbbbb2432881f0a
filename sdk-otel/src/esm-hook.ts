import * as moduleApi from "node:module";
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
 * import-in-the-middle's in-thread loader (`module.registerHooks`), where Node.js runs it correctly (>= 22.22.3,
 * 24.11.1, 26; its `supportsSyncHooks()`): `module.register()`, the other way, runs the loader on a thread of its
 * own and is deprecated from Node.js 26 (DEP0205, a warning on every start). Those versions all `require()` ES
 * modules. False when not available, and the caller registers the asynchronous loader.
 */
function registerSyncHooks(instrumentation: NodeJS.Require): boolean {
  if (typeof (moduleApi as { registerHooks?: unknown }).registerHooks !== "function") return false;
  // A version check with no imports of its own, before loading the loader.
  const { supportsSyncHooks } = instrumentation("import-in-the-middle/supports-sync-hooks.mjs") as {
    supportsSyncHooks?: () => boolean;
  };
  if (supportsSyncHooks?.() !== true) return false;
  const { register: registerHooks } = instrumentation("import-in-the-middle/register-hooks.mjs") as {
    register?: () => void;
  };
  if (typeof registerHooks !== "function") return false;
  registerHooks();
  return true;
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
    if (typeof __filename === "string") return false;
    const require = packageRequire();
    // The instrumentation's own import-in-the-middle, resolved from where it is installed.
    const instrumentation = createRequire(require.resolve("@opentelemetry/instrumentation/hook.mjs"));
    try {
      if (registerSyncHooks(instrumentation)) return true;
    } catch (error) {
      debugLog(
        `the in-thread ES module hook failed, registering the loader thread instead: ${String(error)}`,
      );
    }
    if (typeof register !== "function") return false;
    register(pathToFileURL(instrumentation.resolve("./hook.mjs")).href);
    return true;
  } catch (error) {
    debugLog(`the ES module instrumentation hook was not registered: ${String(error)}`);
    return false;
  }
}
