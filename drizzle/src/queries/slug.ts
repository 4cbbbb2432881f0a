/** Longest slug made from a name (a numeric suffix may add a few characters). */
export const MAX_SLUG_LENGTH = 48;

/**
 * A URL slug from a display name: ASCII letters and digits in lower case, other runs of
 * characters as one `-`, accents dropped (`Café Ünïcode` → `cafe-unicode`); `fallback` when
 * nothing is left.
 */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, "");
  return slug || fallback;
}

/** `base`, then `base-2`, `base-3`, …: the first candidate not in `taken`. */
export function firstFreeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}
