import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadWebConfig } from "../../server/config";
import { traceUrl, traceUrlTemplateProblem } from "./trace-url";

describe("trace URL template", () => {
  it("accepts an http(s) URL with {traceId}", () => {
    expect(traceUrlTemplateProblem("http://openobserve:5080/web/traces?trace_id={traceId}")).toBeNull();
    expect(traceUrlTemplateProblem("https://grafana.example.com/explore/{traceId}")).toBeNull();
  });

  it.each([
    ["javascript:alert({traceId})", "must be an http(s) URL"],
    ["ftp://x/{traceId}", "must be an http(s) URL"],
    ["{traceId}http://x", "must be an http(s) URL"],
    ["http://jaeger/trace/", "must contain {traceId}"],
    ["http:// bad host/{traceId}", "must be an absolute URL"],
  ])("refuses %s", (template, problem) => {
    expect(traceUrlTemplateProblem(template)).toBe(problem);
  });

  it("puts the URL-encoded id in every placeholder", () => {
    expect(traceUrl("http://t/{traceId}?q={traceId}", "a/b&c")).toBe("http://t/a%2Fb%26c?q=a%2Fb%26c");
    expect(traceUrl(null, "abc")).toBeNull();
    expect(traceUrl("http://t/{traceId}", null)).toBeNull();
  });

  it("is read by the web config as CODEWARDEN_TRACE_URL_TEMPLATE, failing fast when invalid", () => {
    expect(loadWebConfig({}).traceUrlTemplate).toBeNull();
    expect(loadWebConfig({ CODEWARDEN_TRACE_URL_TEMPLATE: "http://o/{traceId}" }).traceUrlTemplate).toBe(
      "http://o/{traceId}",
    );
    expect(() => loadWebConfig({ CODEWARDEN_TRACE_URL_TEMPLATE: "http://o/trace" })).toThrow(ConfigError);
    expect(() => loadWebConfig({ CODEWARDEN_TRACE_URL_TEMPLATE: "http://o/trace" })).toThrow(
      /CODEWARDEN_TRACE_URL_TEMPLATE/,
    );
  });
});
