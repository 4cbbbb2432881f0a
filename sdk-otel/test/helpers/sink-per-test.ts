import { afterEach, beforeAll, beforeEach } from "vitest";
import { ensureBuilt } from "./ensure-built.js";
import { type OtlpSink, startOtlpSink } from "./otlp-sink.js";

/**
 * For test files that run fixtures against the built package: builds it first (when stale), and gives
 * each test a fresh OTLP sink, closed after it. Read the current one as `.sink` inside a test.
 */
export function useBuiltSdkAndSink(): { readonly sink: OtlpSink } {
  let current: OtlpSink | undefined;
  beforeAll(() => {
    // The fixtures load the package by name, which resolves to the built dist/.
    ensureBuilt();
  });
  beforeEach(async () => {
    current = await startOtlpSink();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get sink(): OtlpSink {
      if (!current) throw new Error("the OTLP sink exists only while a test runs");
      return current;
    },
  };
}
