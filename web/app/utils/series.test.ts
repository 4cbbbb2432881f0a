import { describe, expect, it } from "vitest";
import { bucketLabel, DAY_MS, HOUR_MS, seriesWindow } from "./series";

describe("seriesWindow", () => {
  const now = new Date("2025-03-10T12:30:00.000Z");

  it("ends 24 hourly buckets with the current hour", () => {
    expect(seriesWindow("24h", now)).toEqual({
      start: "2025-03-09T13:00:00.000Z",
      bucketMs: HOUR_MS,
      buckets: 24,
    });
  });

  it("ends 14 daily (UTC) buckets with today", () => {
    expect(seriesWindow("14d", now)).toEqual({
      start: "2025-02-25T00:00:00.000Z",
      bucketMs: DAY_MS,
      buckets: 14,
    });
  });

  it("labels buckets in UTC", () => {
    const w = seriesWindow("24h", now);
    expect(bucketLabel(w, 0)).toBe("Mar 9 13:00");
    expect(bucketLabel(w, 23)).toBe("Mar 10 12:00");
    expect(bucketLabel(seriesWindow("14d", now), 13)).toBe("Mar 10");
  });
});
