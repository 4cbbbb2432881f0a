/**
 * Postgres text and jsonb reject NUL and lone UTF-16 surrogates, and telemetry may carry both:
 * they become U+FFFD. The collector applies this to every string it passes on; the worker
 * applies it again, since jobs are untrusted input to it too.
 */
export function storableText(s: string): string {
  const w = s.isWellFormed() ? s : s.toWellFormed();
  return w.includes("\u0000") ? w.replaceAll("\u0000", "\uFFFD") : w;
}
