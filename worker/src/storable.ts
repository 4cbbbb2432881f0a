import { type ErrorEvent, storableText } from "@codewarden/common";

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
