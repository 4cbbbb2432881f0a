/**
 * Limits and parsing of a project's in-app override patterns (the worker applies them:
 * worker/src/stack/in-app-overrides.ts documents the pattern language).
 */
export const MAX_IN_APP_PATTERNS = 50;
export const MAX_IN_APP_PATTERN_CHARS = 200;

/**
 * One pattern a line, as typed into a form: surrounding spaces and blank lines are dropped and
 * duplicates kept once. Errors name the offending line; with errors, nothing should be saved.
 */
export function parseInAppPatternList(text: string): { patterns: string[]; errors: string[] } {
  const patterns: string[] = [];
  const errors: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const p = raw.trim();
    if (p === "") return;
    if (p.length > MAX_IN_APP_PATTERN_CHARS)
      errors.push(`line ${i + 1}: longer than ${MAX_IN_APP_PATTERN_CHARS} characters`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    else if (/[\u0000-\u001f\u007f]/.test(p))
      errors.push(`line ${i + 1}: control characters are not allowed`);
    else if (/^\*+$/.test(p)) errors.push(`line ${i + 1}: a pattern of only * would match every frame`);
    else if (!patterns.includes(p)) patterns.push(p);
  });
  if (patterns.length > MAX_IN_APP_PATTERNS) errors.push(`at most ${MAX_IN_APP_PATTERNS} patterns`);
  return { patterns, errors };
}
