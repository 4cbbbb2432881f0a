/**
 * @codewarden/sdk-otel in real Node processes (zero-code `--import` / `--require`) against the real
 * collector of `npm start`'s launcher, asserted through the public REST API.
 *
 * The SDK sends each exception twice (span event + log record); the collector must store it once.
 * To make "eventCount is 1" mean something, each test (a) checks on the collector's /metrics that
 * both twins were extracted, and (b) waits for a barrier: an error posted after the child exited,
 * which the in-process queue (FIFO, one batch at a time) processes after everything the child sent.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "../../sdk-otel/test/helpers/ensure-built";
import { type ApiIssue, api, eventually, ROOT, type Spawned, spawnProcess, startAllInOne } from "./harness";

const INGEST_KEY = `cw_ik_sdk_${randomBytes(12).toString("hex")}`;
const API_TOKEN = `cw_at_sdk_${randomBytes(12).toString("hex")}`;
const ENVIRONMENT = "e2e-sdk";
const FIXTURES = join(ROOT, "test", "e2e", "fixtures");

interface ApiFrame {
  function: string | null;
  file: string | null;
  line: number | null;
  inApp: boolean;
}
interface ApiEvent {
  traceId: string | null;
  spanId: string | null;
  serviceName: string | null;
  environment: string | null;
  exceptionType: string;
  message: string;
  stacktrace: string | null;
  frames: ApiFrame[];
}

let launcher: Spawned | undefined;
let dataDir = "";
let webPort = 0;
let collectorPort = 0;
const client = () => api(webPort, API_TOKEN);

/** Every issue of the default project, all statuses, following `nextCursor`. */
async function allIssues(): Promise<ApiIssue[]> {
  const issues: ApiIssue[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: { issues: ApiIssue[]; nextCursor: string | null } = await client().get(
      `/api/v1/projects/default/issues?status=all&limit=100${query}`,
    );
    issues.push(...page.issues);
    cursor = page.nextCursor;
  } while (cursor);
  return issues;
}

/** The collector's count of extracted errors by source (span_event, log, span_status). */
async function extracted(): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${collectorPort}/metrics`);
  expect(res.status).toBe(200);
  const counts: Record<string, number> = {};
  for (const m of (await res.text()).matchAll(
    /^codewarden_collector_errors_extracted_total\{source="(\w+)"\} (\d+)$/gm,
  )) {
    counts[m[1]!] = Number(m[2]);
  }
  return counts;
}

/**
 * Posts one error (OTLP/JSON log record) after everything else and waits until it is stored: the
 * all-in-one queue handles jobs in arrival order, so every job enqueued before it is stored too.
 */
async function barrier(): Promise<void> {
  const type = `E2eBarrier${randomBytes(6).toString("hex")}`;
  const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const res = await fetch(`http://127.0.0.1:${collectorPort}/v1/logs`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${INGEST_KEY}` },
    body: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [attr("service.name", "e2e-barrier")] },
          scopeLogs: [
            {
              scope: { name: "e2e" },
              logRecords: [
                {
                  timeUnixNano: (BigInt(Date.now()) * 1_000_000n).toString(),
                  severityNumber: 17,
                  severityText: "ERROR",
                  body: { stringValue: "barrier" },
                  attributes: [attr("exception.type", type), attr("exception.message", "barrier")],
                },
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
  await eventually(
    async () => (await allIssues()).find((i) => i.exceptionType === type),
    30_000,
    `barrier ${type}`,
  );
}

interface AppRun {
  code: number | string;
  output: string;
  marker: string;
  service: string;
}

/** Runs a fixture under the SDK's zero-code entry point, pointed at the launcher's collector. */
async function runApp(
  fixture: string,
  preload: "--import" | "--require",
  service: string,
  extraEnv: Record<string, string> = {},
): Promise<AppRun> {
  const marker = randomBytes(8).toString("hex");
  const app = spawnProcess(
    process.execPath,
    [preload, "@codewarden/sdk-otel/register", join(FIXTURES, fixture)],
    {
      CODEWARDEN_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      CODEWARDEN_INGEST_KEY: INGEST_KEY,
      CODEWARDEN_SERVICE_NAME: service,
      CODEWARDEN_ENVIRONMENT: ENVIRONMENT,
      E2E_MARKER: marker,
      ...extraEnv,
    },
  );
  const code = await app.exited(30_000);
  return { code, output: app.output(), marker, service };
}

/** The one issue of `run`'s service whose message carries its marker, once it is stored. */
async function issueOf(run: AppRun): Promise<ApiIssue> {
  return eventually(
    async () => {
      const mine = (await allIssues()).filter((i) => i.services.includes(run.service));
      return mine.length > 0 ? mine : null;
    },
    30_000,
    `an issue from ${run.service}`,
  ).then((mine) => {
    expect(mine.map((i) => i.message)).toEqual([expect.stringContaining(run.marker)]);
    return mine[0]!;
  });
}

async function eventsOf(issue: ApiIssue): Promise<ApiEvent[]> {
  return (await client().get<{ events: ApiEvent[] }>(`/api/v1/issues/${issue.id}/events?limit=100`)).events;
}

/**
 * Asserts the issue and its single event: type, message, service, environment, trace context, and
 * an in-app frame of `fn` in the fixture file.
 */
async function expectOneEvent(
  run: AppRun,
  expected: { type: string; message: string; fixture: string; fn: string },
): Promise<ApiEvent> {
  const issue = await issueOf(run);
  expect(issue.exceptionType).toBe(expected.type);
  expect(issue.message).toBe(`${expected.message} [${run.marker}]`);
  expect(issue.services).toEqual([run.service]);
  expect(issue.environments).toEqual([ENVIRONMENT]);
  expect(issue.status).toBe("unresolved");
  expect(issue.eventCount).toBe(1);

  const events = await eventsOf(issue);
  expect(events).toHaveLength(1);
  const event = events[0]!;
  expect(event.exceptionType).toBe(expected.type);
  expect(event.message).toBe(issue.message);
  expect(event.serviceName).toBe(run.service);
  expect(event.environment).toBe(ENVIRONMENT);
  expect(event.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(event.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(event.stacktrace ?? "").toContain(`${expected.type}: ${issue.message}`);
  const frame = event.frames.find(
    (f) => (f.function ?? "").includes(expected.fn) && (f.file ?? "").endsWith(expected.fixture),
  );
  expect(frame, `frame ${expected.fn} in ${JSON.stringify(event.frames)}`).toBeDefined();
  expect(frame!.inApp).toBe(true);
  expect(frame!.line).toBeGreaterThan(0);
  return event;
}

/**
 * Runs `body` (which runs one app), then waits for the barrier and returns how many errors the
 * collector extracted meanwhile, by source, without the barrier's own log record.
 */
async function countingExtracted<T>(
  body: () => Promise<T>,
): Promise<{ result: T; delta: Record<string, number> }> {
  const before = await extracted();
  const result = await body();
  await barrier();
  const after = await extracted();
  const delta: Record<string, number> = {};
  for (const source of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = (after[source] ?? 0) - (before[source] ?? 0) - (source === "log" ? 1 : 0);
    if (d !== 0) delta[source] = d;
  }
  return { result, delta };
}

beforeAll(async () => {
  // The fixtures load the package by name, which resolves to the built dist/.
  ensureBuilt();
  const started = await startAllInOne({
    dataDirPrefix: "cw-e2e-sdk-",
    ingestKey: INGEST_KEY,
    apiToken: API_TOKEN,
  });
  ({ proc: launcher, dataDir, webPort, collectorPort } = started);
}, 120_000);

afterAll(async () => {
  try {
    if (launcher) expect(await launcher.stop()).toBe(0);
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

describe("@codewarden/sdk-otel against the real collector", () => {
  it("ESM --import: a handled exception (captureException) becomes one event; the app exits 0", async () => {
    const { result: run, delta } = await countingExtracted(() =>
      runApp("sdk-handled-esm.mjs", "--import", "sdk-e2e-handled-esm"),
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toBe("");
    // Sent twice (span event and log record), stored once.
    expect(delta).toEqual({ span_event: 1, log: 1 });
    await expectOneEvent(run, {
      type: "InventoryLookupError",
      message: "sku A-17 not found",
      fixture: "sdk-handled-esm.mjs",
      fn: "lookupInventory",
    });
  });

  it("ESM --import: an uncaught exception is printed with its stack, exits 1 and becomes one event", async () => {
    const { result: run, delta } = await countingExtracted(() =>
      runApp("sdk-crash-esm.mjs", "--import", "sdk-e2e-crash-esm"),
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`LedgerCorruptedError: ledger checksum mismatch [${run.marker}]`);
    expect(run.output).toMatch(/\n {4}at .*reconcileLedger.*sdk-crash-esm\.mjs:\d+:\d+/);
    expect(delta).toEqual({ span_event: 1, log: 1 });
    await expectOneEvent(run, {
      type: "LedgerCorruptedError",
      message: "ledger checksum mismatch",
      fixture: "sdk-crash-esm.mjs",
      fn: "reconcileLedger",
    });
  });

  it("CJS --require: an unhandled rejection exits 1 and becomes one event", async () => {
    const { result: run, delta } = await countingExtracted(() =>
      runApp("sdk-rejection-cjs.cjs", "--require", "sdk-e2e-rejection-cjs"),
    );
    expect(run.code, run.output).toBe(1);
    expect(run.output).toContain(`QuotaExhaustedError: quota exhausted for tenant t-9 [${run.marker}]`);
    expect(run.output).toMatch(/\n {4}at .*refillQuota.*sdk-rejection-cjs\.cjs:\d+:\d+/);
    expect(delta).toEqual({ span_event: 1, log: 1 });
    await expectOneEvent(run, {
      type: "QuotaExhaustedError",
      message: "quota exhausted for tenant t-9",
      fixture: "sdk-rejection-cjs.cjs",
      fn: "refillQuota",
    });
  });

  it("CJS --require: a handled exception becomes one event; the app exits 0 cleanly", async () => {
    const { result: run, delta } = await countingExtracted(() =>
      runApp("sdk-handled-cjs.cjs", "--require", "sdk-e2e-handled-cjs"),
    );
    expect(run.code, run.output).toBe(0);
    expect(run.output).toBe("invoice batch done\n");
    expect(delta).toEqual({ span_event: 1, log: 1 });
    await expectOneEvent(run, {
      type: "InvoiceRenderError",
      message: "template missing for invoice 4711",
      fixture: "sdk-handled-cjs.cjs",
      fn: "renderInvoice",
    });
  });

  it("process.exit(3) after `await shutdown()`: the exit code is kept and the captured error arrives", async () => {
    const { result: run, delta } = await countingExtracted(() =>
      runApp("sdk-exit-code.mjs", "--import", "sdk-e2e-exit-code"),
    );
    expect(run.code, run.output).toBe(3);
    expect(run.output).toBe("shutdown=true\n");
    expect(delta).toEqual({ span_event: 1, log: 1 });
    await expectOneEvent(run, {
      type: "MigrationAbortedError",
      message: "migration aborted at step 3",
      fixture: "sdk-exit-code.mjs",
      fn: "runMigration",
    });
  });

  // process.exit() skips `beforeExit`, and the SDK documents no flush for it ("Before calling
  // process.exit() yourself, await shutdown()"), so only the exit code is promised here.
  it("process.exit(3) without shutdown(): the SDK leaves the exit code alone", async () => {
    const run = await runApp("sdk-exit-code.mjs", "--import", "sdk-e2e-exit-code-no-shutdown", {
      E2E_SKIP_SHUTDOWN: "1",
    });
    expect(run.code, run.output).toBe(3);
    expect(run.output).toBe("");
  });
});
