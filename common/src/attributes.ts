/** OpenTelemetry attribute keys CodeWarden reads (semantic conventions + our own). */
export const ATTR = {
  serviceName: "service.name",
  serviceNamespace: "service.namespace",
  serviceVersion: "service.version",
  serviceInstanceId: "service.instance.id",
  deploymentEnvironmentName: "deployment.environment.name",
  deploymentEnvironment: "deployment.environment",
  sdkLanguage: "telemetry.sdk.language",
  sdkName: "telemetry.sdk.name",
  sdkVersion: "telemetry.sdk.version",
  hostName: "host.name",
  exceptionType: "exception.type",
  exceptionMessage: "exception.message",
  exceptionStacktrace: "exception.stacktrace",
  exceptionEscaped: "exception.escaped",
  errorType: "error.type",
  fingerprint: "codewarden.fingerprint",
  httpRoute: "http.route",
  httpMethod: "http.request.method",
  httpStatus: "http.response.status_code",
  userId: "user.id",
  enduserId: "enduser.id",
} as const;

/** Name of the span event that carries an exception (OTel semantic conventions). */
export const EXCEPTION_EVENT_NAME = "exception";
