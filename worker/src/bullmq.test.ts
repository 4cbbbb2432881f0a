import { describe, expect, it } from "vitest";
import { withinMs } from "./bullmq";

describe("withinMs", () => {
  it("gives the work's result, or its own error, when the work settles in time", async () => {
    await expect(withinMs(Promise.resolve(42), 1000, "answering")).resolves.toBe(42);
    await expect(withinMs(Promise.reject(new Error("refused")), 1000, "answering")).rejects.toThrow(
      "refused",
    );
  });

  it("fails with a message naming the work when it takes longer", async () => {
    const never = new Promise<never>(() => {});
    await expect(withinMs(never, 20, "enqueueing alert jobs")).rejects.toThrow(
      "enqueueing alert jobs timed out after 20 ms",
    );
  });
});
