import type { Attributes, AttributeValue } from "@opentelemetry/api";

const MAX_EXTRA_ATTRIBUTES = 64;

export function isAttributeValue(value: unknown): value is AttributeValue {
  const t = typeof value;
  if (t === "string" || t === "boolean" || (t === "number" && Number.isFinite(value))) return true;
  return (
    Array.isArray(value) &&
    value.every(
      (item) => item === null || item === undefined || ["string", "number", "boolean"].includes(typeof item),
    )
  );
}

/** Keeps valid attribute values only (bad ones are dropped, never thrown on). */
export function cleanAttributes(attributes: unknown): Attributes {
  const clean: Attributes = {};
  if (attributes === null || typeof attributes !== "object") return clean;
  let count = 0;
  for (const [key, value] of Object.entries(attributes)) {
    if (count >= MAX_EXTRA_ATTRIBUTES) break;
    if (key !== "" && isAttributeValue(value)) {
      clean[key] = value;
      count++;
    }
  }
  return clean;
}
