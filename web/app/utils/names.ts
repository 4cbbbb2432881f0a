/** Longest display name of an organisation, project, ingest key or API token. */
export const MAX_NAME_LENGTH = 100;

/** Control, format (e.g. bidirectional overrides) and line/paragraph separator characters. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A display name typed by a user: trimmed, inner runs of white space collapsed to one space,
 * 1 to MAX_NAME_LENGTH characters, printable, one line. Returns the name or an error message.
 */
export function parseDisplayName(raw: string, what: string): { name: string } | { error: string } {
  const name = raw.trim().replace(/\s+/g, " ");
  if (name.length === 0) return { error: `Enter a name for the ${what}.` };
  if (Array.from(name).length > MAX_NAME_LENGTH)
    return { error: `The ${what} name can be at most ${MAX_NAME_LENGTH} characters.` };
  if (UNPRINTABLE.test(name)) return { error: `The ${what} name contains characters that cannot be shown.` };
  return { name };
}
