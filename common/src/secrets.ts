import { createHash, randomBytes } from "node:crypto";

/** Prefixes make leaked secrets recognisable by secret scanners and by people. */
export const INGEST_KEY_PREFIX = "cw_ik_";
export const API_TOKEN_PREFIX = "cw_at_";

/** A new random secret with a recognisable prefix, 32 bytes of entropy, base64url. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Secrets are stored as SHA-256 hex digests; they are high-entropy, so no slow KDF is needed. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** What may be shown of a secret after creation: its prefix and first characters. */
export function secretHint(secret: string): string {
  return secret.slice(0, 12);
}
