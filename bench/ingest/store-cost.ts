/**
 * Diagnostic for the ingest benchmark: what storing one error job costs in the all-in-one mode,
 * by job size. Builds jobs exactly as the collector does (`processExport` on the benchmark's
 * error body, fresh trace ids each time), then runs the worker core (`processBatch`) on
 * embedded PGlite in a temporary data directory, one job after another, and prints the time per
 * job and per error for jobs of 1, 10, 100 and 1,000 errors.
 *
 * Run: node --import tsx bench/ingest/store-cost.ts
 */
import { processExport } from "@codewarden/collector";
import type { ErrorBatchJob } from "@codewarden/common";
import { connect, ensureBootstrap, migrate } from "@codewarden/drizzle";
import { processBatch } from "@codewarden/worker";
import pino from "pino";
import { runMain } from "../lib/cli";
import { buildBodies, createStamper } from "./payload";
import { removeTempDir, tempDir } from "./processes";

const SIZES = [1, 10, 100, 1000];
/** Errors stored per size (fewer jobs for bigger sizes), after one unmeasured job. */
const ERRORS_PER_SIZE = 2000;

async function main() {
  const dir = tempDir("cw-bench-store-");
  const handle = await connect({ dataDir: dir });
  try {
    await migrate(handle);
    const boot = await ensureBootstrap(handle.db, { adminEmail: "admin@localhost" });
    const bodies = buildBodies();
    const stamp = createStamper();
    const logger = pino({ level: "warn" });
    let serial = 0;
    const job = (errors: number): ErrorBatchJob => {
      const receivedAt = new Date().toISOString();
      const out: ErrorBatchJob["errors"] = [];
      for (let i = 0; i < errors; i++) {
        out.push(
          ...processExport("traces", "protobuf", stamp(bodies.withError, serial++), receivedAt).errors,
        );
      }
      return { v: 1, projectId: boot.projectId, receivedAt, errors: out };
    };
    const rows: Array<Record<string, number>> = [];
    for (const size of SIZES) {
      await processBatch(handle.db, job(size), { logger }); // warm-up
      const jobs = Array.from({ length: Math.max(2, Math.round(ERRORS_PER_SIZE / size)) }, () => job(size));
      const t0 = performance.now();
      for (const j of jobs) await processBatch(handle.db, j, { logger });
      const ms = performance.now() - t0;
      rows.push({
        errorsPerJob: size,
        jobs: jobs.length,
        msPerJob: +(ms / jobs.length).toFixed(2),
        usPerError: Math.round((ms * 1000) / (jobs.length * size)),
        errorsPerSecond: Math.round((jobs.length * size) / (ms / 1000)),
      });
    }
    console.table(rows);
    console.log(JSON.stringify({ bench: "ingest-store-cost", rows }));
  } finally {
    await handle.close();
    removeTempDir(dir);
  }
}

runMain(main);
