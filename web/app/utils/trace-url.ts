/** The `{traceId}` placeholder of CODEWARDEN_TRACE_URL_TEMPLATE. */
export const TRACE_ID_PLACEHOLDER = "{traceId}";

/**
 * Why `template` is not a usable trace link template, or null when it is: an absolute http(s)
 * URL that contains `{traceId}` (e.g. `http://openobserve:5080/web/traces?trace_id={traceId}`).
 */
export function traceUrlTemplateProblem(template: string): string | null {
  if (!/^https?:\/\//i.test(template)) return "must be an http(s) URL";
  if (!template.includes(TRACE_ID_PLACEHOLDER)) return `must contain ${TRACE_ID_PLACEHOLDER}`;
  let url: URL;
  try {
    url = new URL(template.replaceAll(TRACE_ID_PLACEHOLDER, "0"));
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http(s) URL";
  return null;
}

/** The link to a trace: the template with `{traceId}` replaced by the URL-encoded id; null without either. */
export function traceUrl(
  template: string | null | undefined,
  traceId: string | null | undefined,
): string | null {
  if (!template || !traceId) return null;
  return template.replaceAll(TRACE_ID_PLACEHOLDER, encodeURIComponent(traceId));
}
