import { createHash } from "node:crypto";
import type { ErrorEvent } from "@codewarden/common";

/** A minimal valid ErrorEvent (per the job schema) for queue tests; `id` seeds its event key and message. */
export function errorEvent(id: string, overrides: Partial<ErrorEvent> = {}): ErrorEvent {
  return {
    source: "log",
    eventKey: createHash("sha256").update(id).digest("hex").slice(0, 32),
    timestamp: "2026-03-01T12:00:00.000Z",
    traceId: null,
    spanId: null,
    exceptionType: "Error",
    message: id,
    stacktrace: null,
    fingerprint: null,
    resource: {
      serviceName: null,
      serviceNamespace: null,
      serviceVersion: null,
      serviceInstanceId: null,
      environment: null,
      sdkLanguage: null,
      hostName: null,
    },
    span: null,
    attributes: {},
    ...overrides,
  };
}
