import { createHmac, timingSafeEqual } from "node:crypto";

/** Header of signed webhook deliveries. */
export const SIGNATURE_HEADER = "X-CodeWarden-Signature";

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the channel's secret>` — the
 * scheme of Stripe's webhooks: the timestamp is signed with the body, so a receiver can refuse
 * replays older than a tolerance it chooses (docs/decisions/007-alerts.md).
 */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}

/**
 * A receiver's check: the header parses, its time is within `toleranceSeconds` of `nowSeconds`,
 * and one of its `v1` values matches (compared in constant time).
 */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  let t: number | null = null;
  const sigs: string[] = [];
  for (const part of header.split(",")) {
    const [k, v] = part.trim().split("=", 2);
    if (k === "t" && v && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === "v1" && v && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === null || sigs.length === 0) return false;
  const now = opts.nowSeconds ?? Date.now() / 1000;
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  return sigs.some((s) => timingSafeEqual(Buffer.from(s), expected));
}
