import type { ErrorEvent } from "@codewarden/common";

/**
 * Postgres text and jsonb reject NUL and lone UTF-16 surrogates; telemetry may carry both. The
 * collector already replaces them, but jobs are untrusted input to the worker too: one bad
 * string must not fail (and drop) a whole batch, so they become U+FFFD.
 */
export function storableText(s: string): string {
  const w = s.isWellFormed() ? s : s.toWellFormed();
  return w.includes("\u0000") ? w.replaceAll("\u0000", "\uFFFD") : w;
}

const orNull = (s: string | null) => (s === null ? null : storableText(s));

/** A copy of the event with every string (attribute keys included) safe to store. */
export function storableEvent(e: ErrorEvent): ErrorEvent {
  const attributes: ErrorEvent["attributes"] = {};
  for (const [k, v] of Object.entries(e.attributes))
    attributes[storableText(k)] = typeof v === "string" ? storableText(v) : v;
  const resource = { ...e.resource };
  for (const k of Object.keys(resource) as Array<keyof typeof resource>) resource[k] = orNull(resource[k]);
  return {
    ...e,
    exceptionType: storableText(e.exceptionType),
    message: storableText(e.message),
    stacktrace: orNull(e.stacktrace),
    fingerprint: orNull(e.fingerprint),
    resource,
    span: e.span ? { ...e.span, name: storableText(e.span.name) } : null,
    attributes,
  };
}
