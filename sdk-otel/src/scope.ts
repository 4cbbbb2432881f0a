import {
  type Attributes,
  type AttributeValue,
  isSpanContextValid,
  type Span,
  trace,
} from "@opentelemetry/api";
import { isAttributeValue } from "./attributes.js";
import { debugLog } from "./diagnostics.js";
import { sharedState } from "./shared-state.js";

/** How many traces' user/tags are remembered (oldest forgotten first). */
export const MAX_TRACE_SCOPES = 1000;
const MAX_TAGS = 64;

export interface User {
  id?: string | number;
  email?: string;
  /** Sent as `user.name`. */
  username?: string;
}

interface Scopes {
  /** Set outside any span: applies to every captured event of the process. */
  global: Attributes;
  /** Set inside a span: applies to events captured in the same trace. */
  traces: Map<string, Attributes>;
}

function scopes(): Scopes {
  const state = sharedState();
  state.scopes ??= { global: {}, traces: new Map() };
  return state.scopes as Scopes;
}

function activeSpan(): { span: Span; traceId: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const context = span.spanContext();
  return isSpanContextValid(context) ? { span, traceId: context.traceId } : undefined;
}

function traceScope(traceId: string): Attributes {
  const { traces } = scopes();
  const existing = traces.get(traceId) ?? {};
  traces.delete(traceId); // re-inserted last: most recently used
  traces.set(traceId, existing);
  while (traces.size > MAX_TRACE_SCOPES) {
    const oldest = traces.keys().next().value;
    if (oldest === undefined) break;
    traces.delete(oldest);
  }
  return existing;
}

function apply(set: Attributes, remove: readonly string[]): void {
  const active = activeSpan();
  const target = active ? traceScope(active.traceId) : scopes().global;
  for (const key of remove) delete target[key];
  for (const [key, value] of Object.entries(set)) {
    if (!(key in target) && Object.keys(target).length >= MAX_TAGS) break;
    target[key] = value;
  }
  if (active && Object.keys(set).length > 0) active.span.setAttributes(set);
}

/** The user and tags that apply to an event captured now: process-wide ones, then the active trace's. */
export function scopeAttributes(): Attributes {
  const active = activeSpan();
  const traceAttributes = active ? scopes().traces.get(active.traceId) : undefined;
  return { ...scopes().global, ...traceAttributes };
}

const USER_KEYS = ["user.id", "user.email", "user.name"] as const;

/**
 * Sets `user.id`, `user.email` and `user.name` on the active span and on every exception captured later in
 * the same trace; called outside any span, on every exception captured later in the process. `null` clears.
 * Never throws.
 */
export function setUser(user: User | null): void {
  try {
    if (user === null || user === undefined) {
      apply({}, USER_KEYS);
      return;
    }
    if (typeof user !== "object") return;
    const attributes: Record<string, AttributeValue> = {};
    const id = user.id;
    if ((typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id))) {
      attributes["user.id"] = String(id);
    }
    if (typeof user.email === "string" && user.email !== "") attributes["user.email"] = user.email;
    if (typeof user.username === "string" && user.username !== "") attributes["user.name"] = user.username;
    apply(attributes, USER_KEYS);
  } catch (failure) {
    debugLog(`setUser failed: ${String(failure)}`);
  }
}

/**
 * Sets the attribute `key` on the active span and on exceptions captured later in the same trace (outside any
 * span: on every exception captured later in the process). Invalid keys or values are ignored. Never throws.
 */
export function setTag(key: string, value: AttributeValue): void {
  try {
    if (typeof key !== "string" || key === "" || key.startsWith("exception.") || !isAttributeValue(value)) {
      debugLog(`setTag ignored an invalid key or value for ${JSON.stringify(String(key)).slice(0, 80)}`);
      return;
    }
    apply({ [key]: value }, []);
  } catch (failure) {
    debugLog(`setTag failed: ${String(failure)}`);
  }
}
