import type { IncomingMessage } from "node:http";
import type { HrTime } from "@opentelemetry/api";

/**
 * Errors a framework handled for a request (Express's error path), kept until the server span ends: the
 * lean server instrumentation records one on the span only if the request then fails (5xx or no answer),
 * as an error tracker should — a validation error the app turned into a 400 is not an incident.
 */
const pending = new WeakMap<IncomingMessage, { error: unknown; time: HrTime }>();

/** Error objects already recorded on a span by captureException (never recorded twice). */
const captured = new WeakSet<object>();

/** Remembers the first error the framework passed down its error path for `req`. */
export function noteRequestError(req: IncomingMessage, error: unknown, time: HrTime): void {
  if (!pending.has(req)) pending.set(req, { error, time });
}

/** The error noted for `req` (removed), unless captureException already recorded that very error. */
export function takeRequestError(req: IncomingMessage): { error: unknown; time: HrTime } | undefined {
  const noted = pending.get(req);
  if (!noted) return undefined;
  pending.delete(req);
  const { error } = noted;
  return typeof error === "object" && error !== null && captured.has(error) ? undefined : noted;
}

/** Marks an error object as recorded by captureException. */
export function markCaptured(error: unknown): void {
  if (typeof error === "object" && error !== null) captured.add(error);
}
