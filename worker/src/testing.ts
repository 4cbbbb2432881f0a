/** Builders for error batch jobs in tests (shaped like the collector's output). */
import { createHash } from "node:crypto";
import type { ErrorBatchJob, ErrorEvent } from "@codewarden/common";

export function eventKey(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 32);
}

export function nodeTrace(type: string, message: string, fn: string, file: string, line: number): string {
  return `${type}: ${message}
    at ${fn} (/srv/releases/${line}/src/${file}:${line}:7)
    at async handle (/srv/releases/${line}/src/server.ts:88:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;
}

export function errorEvent(overrides: Partial<ErrorEvent> & { seed: string }): ErrorEvent {
  const { seed, ...rest } = overrides;
  return {
    source: "span_event",
    eventKey: eventKey(seed),
    timestamp: "2026-03-01T10:15:00.000Z",
    traceId: eventKey(`trace-${seed}`),
    spanId: eventKey(`span-${seed}`).slice(0, 16),
    exceptionType: "TypeError",
    message: "Cannot read properties of undefined (reading 'id')",
    stacktrace: nodeTrace(
      "TypeError",
      "Cannot read properties of undefined (reading 'id')",
      "getUser",
      "users.ts",
      12,
    ),
    fingerprint: null,
    resource: {
      serviceName: "api",
      serviceNamespace: null,
      serviceVersion: "1.0.0",
      serviceInstanceId: null,
      environment: "production",
      sdkLanguage: "nodejs",
      hostName: "web-1",
    },
    span: { name: "GET /users/:id", kind: 2, statusCode: 2 },
    attributes: { "http.route": "/users/:id" },
    ...rest,
  };
}

export function errorJob(projectId: string, errors: ErrorEvent[]): ErrorBatchJob {
  return { v: 1, projectId, receivedAt: "2026-03-03T00:00:00.000Z", errors };
}
