export { captureException, flush, shutdown } from "./capture.js";
export type { CodewardenOptions, Instrumentations } from "./config.js";
export { type CodewardenHandle, init } from "./init.js";
export { SDK_VERSION as VERSION } from "./version.js";
