import { storableText } from "@codewarden/common";
import type { AnyValue } from "../otlp/model";
import { KvList } from "../otlp/model";

/**
 * Caps a telemetry string at `max` UTF-16 code units without splitting a surrogate pair, and
 * makes it safe to store: lone surrogates become U+FFFD, NUL (which Postgres text rejects) too.
 */
export function capString(s: string, max: number): string {
  let out = s.length > max ? s.slice(0, max) : s;
  if (out.length > 0 && out.length < s.length) {
    const last = out.charCodeAt(out.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  }
  return storableText(out);
}

/** A scalar AnyValue as a string (numbers and booleans as written); null for other kinds. */
export function scalarString(v: AnyValue | undefined): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
}

/** A readable rendering of any AnyValue (for log bodies that are not strings), at most `max` chars. */
export function renderAnyValue(v: AnyValue, max: number): string {
  const parts: string[] = [];
  let size = 0;
  const push = (s: string): boolean => {
    parts.push(s);
    size += s.length;
    return size < max;
  };
  const walk = (x: AnyValue): boolean => {
    if (x === null) return push("null");
    if (typeof x === "string") return push(JSON.stringify(x.length > max ? x.slice(0, max) : x));
    if (typeof x === "number" || typeof x === "boolean") return push(String(x));
    if (x instanceof Uint8Array) return push(JSON.stringify(Buffer.from(x).toString("base64").slice(0, max)));
    if (x instanceof KvList) {
      if (!push("{")) return false;
      for (let i = 0; i < x.entries.length; i++) {
        const [k, val] = x.entries[i]!;
        if (!push(`${i ? "," : ""}${JSON.stringify(k.slice(0, max))}:`)) return false;
        if (!walk(val)) return false;
      }
      return push("}");
    }
    if (!push("[")) return false;
    for (let i = 0; i < x.length; i++) {
      if (i && !push(",")) return false;
      if (!walk(x[i]!)) return false;
    }
    return push("]");
  };
  walk(v);
  return capString(parts.join(""), max);
}
