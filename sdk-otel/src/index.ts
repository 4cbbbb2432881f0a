export type { BeforeSend, CapturedEvent } from "./before-send.js";
export { captureException, captureMessage, flush, type SeverityLevel, shutdown } from "./capture.js";
export type {
  CodewardenOptions,
  InstrumentationName,
  InstrumentationSwitches,
  Instrumentations,
  ScrubRule,
} from "./config.js";
export type { SpanExportMode } from "./error-spans.js";
export { type CodewardenHandle, init } from "./init.js";
export { setTag, setUser, type User } from "./scope.js";
export { SDK_VERSION as VERSION } from "./version.js";
