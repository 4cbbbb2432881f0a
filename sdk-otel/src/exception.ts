import { inspect } from "node:util";

/** An exception reduced to the three OpenTelemetry `exception.*` attributes. */
export interface ExceptionInfo {
  type: string;
  message: string;
  stacktrace?: string;
}

export const MAX_MESSAGE_LENGTH = 8 * 1024;
export const MAX_STACK_LENGTH = 32 * 1024;
const MAX_TYPE_LENGTH = 256;

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

function safeInspect(value: unknown): string {
  try {
    return inspect(value, {
      depth: 3,
      breakLength: Number.POSITIVE_INFINITY,
      maxStringLength: MAX_MESSAGE_LENGTH,
    });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function ownString(value: unknown, key: string): string | undefined {
  try {
    const field = (value as Record<string, unknown>)[key];
    return typeof field === "string" ? field : undefined;
  } catch {
    return undefined; // throwing getter
  }
}

function constructorName(value: object): string | undefined {
  try {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" && name !== "Object" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Converts anything that can be thrown into `exception.*` values. Errors (including errors from other
 * realms and error-like objects with a string `message`) keep their name and stack; strings become the
 * message of an `Error`; other values are described with `util.inspect`. Never throws.
 */
export function toExceptionInfo(value: unknown): ExceptionInfo {
  try {
    return describe(value);
  } catch {
    // Proxies and exotic objects can throw from any trap; say what we can.
    return { type: "Error", message: `[${typeof value} that could not be inspected]` };
  }
}

function describe(value: unknown): ExceptionInfo {
  if (value !== null && typeof value === "object") {
    const message = ownString(value, "message");
    if (value instanceof Error || message !== undefined) {
      const type = ownString(value, "name") || constructorName(value) || "Error";
      const stack = ownString(value, "stack");
      return {
        type: cap(type, MAX_TYPE_LENGTH),
        message: cap(message ?? "", MAX_MESSAGE_LENGTH),
        ...(stack ? { stacktrace: cap(stack, MAX_STACK_LENGTH) } : {}),
      };
    }
    return {
      type: cap(constructorName(value) ?? "Error", MAX_TYPE_LENGTH),
      message: cap(safeInspect(value), MAX_MESSAGE_LENGTH),
    };
  }
  if (typeof value === "string") return { type: "Error", message: cap(value, MAX_MESSAGE_LENGTH) };
  return { type: "Error", message: cap(safeInspect(value), MAX_MESSAGE_LENGTH) };
}

/** What Node itself prints for an uncaught exception (the error through util.inspect, strings as-is). */
export function formatLikeNode(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return inspect(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
