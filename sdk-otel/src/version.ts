/** Package name and version, reported as the instrumentation scope of CodeWarden's own spans and logs. */
export const SDK_NAME = "@codewarden/sdk-otel";
export const SDK_VERSION = "0.1.0";
