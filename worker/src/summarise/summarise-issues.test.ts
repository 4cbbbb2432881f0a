import { issueSummaryJobId, issueSummaryJobSchema } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { parseStack } from "../stack/index";
import { summaryJobFor } from "./summarise-issues";

const projectId = "6f1c1a4e-8d1b-4b7e-9a51-3f0e2d7c9b10";
const issueId = "0b7e2c4a-1f3d-4e5a-8b6c-7d8e9f0a1b2c";

describe("summaryJobFor", () => {
  it("builds a valid job holding only what the prompt may use, capped", () => {
    const frames = parseStack(
      Array.from({ length: 60 }, (_, i) => `    at fn${i} (/srv/app/src/f${i}.ts:${i + 1}:3)`)
        .concat("    at Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)")
        .join("\n"),
      "nodejs",
    );
    const job = summaryJobFor(projectId, {
      id: issueId,
      reason: "regressed",
      event: {
        eventKey: "c".repeat(32),
        exceptionType: "T".repeat(400),
        message: "m".repeat(9000),
        frames,
        language: "nodejs",
        serviceName: "s".repeat(300),
        serviceVersion: "2.0.0",
        spanName: "GET /x",
        route: "/x",
      },
    });
    expect(issueSummaryJobSchema.parse(job)).toEqual(job);
    expect(job.event.message).toHaveLength(1000);
    expect(job.event.frames).toHaveLength(15);
    expect(job.event.frames.every((f) => f.inApp)).toBe(true);
    expect(Object.keys(job.event).sort()).toEqual(
      [
        "exceptionType",
        "frames",
        "language",
        "message",
        "route",
        "serviceName",
        "serviceVersion",
        "spanName",
      ].sort(),
    );
  });

  it("gives one job id per issue and occasion", () => {
    const a = { issueId, occasion: "new" as const, eventKey: "a".repeat(32) };
    expect(issueSummaryJobId(a)).toBe(issueSummaryJobId({ ...a, eventKey: "b".repeat(32) }));
    const r1 = issueSummaryJobId({ ...a, occasion: "regressed" });
    expect(r1).not.toBe(issueSummaryJobId(a));
    expect(r1).not.toBe(issueSummaryJobId({ ...a, occasion: "regressed", eventKey: "b".repeat(32) }));
    expect(r1).not.toContain(":");
  });
});
