import { hash, randomBytes } from "node:crypto";

/** Prefixes make leaked secrets recognisable by secret scanners and by people. */
export const INGEST_KEY_PREFIX = "cw_ik_";
export const API_TOKEN_PREFIX = "cw_at_";

/** A new random secret with a recognisable prefix, 32 bytes of entropy, base64url. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/**
 * Secrets are stored as SHA-256 hex digests; they are high-entropy, so no slow KDF is needed.
 * The collector hashes the ingest key of every request: the one-shot `crypto.hash` costs a
 * quarter of a createHash/update/digest chain (~0.25 vs ~1 µs).
 */
export function hashSecret(secret: string): string {
  return hash("sha256", secret, "hex");
}

/** What may be shown of a secret after creation: its prefix and first characters. */
export function secretHint(secret: string): string {
  return secret.slice(0, 12);
}
