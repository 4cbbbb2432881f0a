/**
 * SDK overhead: requests/s of a small node:http JSON app (bench/sdk/app.mjs) without the SDK
 * (`node app.mjs`) and with it (`node --import @codewarden/sdk-otel/register app.mjs`, exporting
 * to a real all-in-one CodeWarden), under the same autocannon load, in alternating rounds.
 *
 * The SDK runs as users get it: its defaults, as built in sdk-otel/dist (every bundled
 * instrumentation on, all traces sampled, OTLP/protobuf with gzip); `--sdk-env` changes that for
 * the SDK app only, e.g. to see which part costs what. The JSON records when dist was built.
 *
 * `--app memory` (default) builds each products page in memory: about 20–40 µs of CPU per request,
 * Node's HTTP handling included, so every µs the SDK adds per request shows. `--app postgres` reads each
 * page from Postgres with postgres.js (one query per request, traced by the SDK's postgres.js
 * instrumentation), as a small service with a database does; the table is seeded here first. `--app express`
 * serves the in-memory pages through Express 4 (a JSON body parser, then the routes), so the framework's
 * instrumentation is measured too; `--app express5` the same through Express 5 (the `router` package), and
 * `--app koa` behind two Koa middlewares, `--app fastify` as a Fastify route's handler.
 *
 * One request in 1,000 goes to a route that throws; the app captures the error and answers 500.
 * After the rounds the REST API must show every error the SDK app answered 500 for (the run fails
 * when the SDK silently sent nothing). Goal, printed pass/fail: ratio with/without ≥ 0.90.
 *
 * The apps run on the last core and the load generator and CodeWarden on the others (taskset), so the app is
 * measured as a server with a core of its own: its throughput is then its CPU time per request, not a share of
 * two cores contended with the load generator, whose scheduling moved single rounds by ±30% on two cores.
 * `--shared-cores` turns that off.
 *
 * `--floor` adds a control app to every round: the plain app with each request run in AsyncLocalStorage.run and
 * nothing else (als-only.mjs). Its ratio is the floor any OpenTelemetry SDK starts from on that Node.js (async
 * hooks on 20 and 22, AsyncContextFrame on 24), and the SDK's ratio to it is what the SDK adds beyond that.
 *
 * Run: npm run bench:sdk [-- --app memory|postgres|express|express5|koa|fastify --connections 10 --duration 6 --rounds 5 --warmup 3
 *      --sdk-env K=V --cpu-prof --floor --node-flag F]
 * Prints a table, then one JSON line with every figure. Exit code 1 when the run fails or the
 * errors did not arrive; the throughput goal only prints pass/fail.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import type { ApiIssue } from "../../test/e2e/harness";
import { profileOf, summariseProfile } from "../ingest/profile";
import { removeTempDir, stopHard, tempDir } from "../lib/children";
import { envArgs, intArg, runMain } from "../lib/cli";
import { cpuSeconds } from "../lib/proc";
import { fmt, median, medianBy, row } from "../lib/stats";
import { LoadGenerator, type LoadSummary } from "./load";
import {
  ALS_ONLY,
  type App,
  ensureSdkBuild,
  ensureWebBuild,
  frameworkOfApp,
  SERVICE_NAME,
  sdkDistBuiltAt,
  startApp,
  startCodewarden,
  stopApp,
} from "./processes";
import { dropProducts, seedProducts } from "./products-table";
import { diffProfiles, type ProfiledRound, printProfileDiff } from "./profile-diff";

const GOAL_RATIO = 0.9;

const { values: args } = parseArgs({
  options: {
    app: { type: "string", default: "memory" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    "app-node": { type: "string" },
    connections: { type: "string", default: "10" },
    duration: { type: "string", default: "6" },
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
    "error-every": { type: "string", default: "1000" },
    "arrival-timeout": { type: "string", default: "60" },
    "sdk-env": { type: "string", multiple: true, default: [] },
    "cpu-prof": { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
    "shared-cores": { type: "boolean", default: false },
    "node-flag": { type: "string", multiple: true, default: [] },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`npm run bench:sdk -- [options]
  --app memory|postgres|express|express5|koa|fastify
                        products from memory (default), one Postgres query per request, or from memory
                        through Express 4, Express 5, Koa or Fastify
  --database-url URL    Postgres for --app postgres (default postgres://postgres@127.0.0.1:5432/test)
  --app-node PATH       Node.js binary for both apps (default: this one), e.g. to compare Node versions
  --connections N       concurrent connections, the same for both apps (default 10)
  --duration S          measured seconds per app and round (default 6)
  --rounds N            rounds, alternating without and with the SDK; medians are reported (default 5)
  --warmup S            unmeasured seconds of the same load on each app first (default 3; 0 to skip)
  --error-every N       one request in N goes to the route that throws (default 1000)
  --arrival-timeout S   longest wait for the captured errors to show in the REST API (default 60)
  --sdk-env K=V         extra environment for the app with the SDK, repeatable (e.g.
                        OTEL_NODE_DISABLED_INSTRUMENTATIONS=http, OTEL_TRACES_EXPORTER=none)
  --cpu-prof            profile both apps (node --cpu-prof) and print where the SDK's CPU time went
  --floor               a third app in each round, the control: the plain app with every request run in
                        AsyncLocalStorage.run and nothing else (bench/sdk/als-only.mjs), the context
                        propagation any OpenTelemetry SDK needs; prints its ratio and the SDK's ratio to it
  --shared-cores        do not pin: the apps, CodeWarden and the load generator share every core (by default
                        the apps run on the last core and everything else on the others, with taskset)
  --node-flag FLAG      a Node.js option for every app, repeatable (e.g.
                        --node-flag=--experimental-async-context-frame on Node.js 22)`);
  process.exit(0);
}

const framework = frameworkOfApp(args.app, ["memory", "postgres"]);
const databaseUrl = args.app === "postgres" ? args["database-url"] : undefined;
const appNode = args["app-node"];
const connections = intArg("connections", args.connections, 1, 1000);
const duration = intArg("duration", args.duration, 1, 3600);
const warmup = intArg("warmup", args.warmup, 0, 600);
const rounds = intArg("rounds", args.rounds, 1, 50);
const errorEvery = intArg("error-every", args["error-every"], 1, 1_000_000);
const sdkEnv = envArgs("sdk-env", args["sdk-env"]);
const nodeFlags = args["node-flag"] ?? [];

/**
 * The apps' core and the rest's, when pinning: the app on the last core, this process (the load generator) and
 * what it starts after this (CodeWarden) on the others. Undefined with --shared-cores, one core, or no taskset.
 */
function pinning(): { appCore: number; otherCores: string } | undefined {
  const n = cpus().length;
  if (args["shared-cores"] || n < 2) return undefined;
  try {
    execFileSync("taskset", ["-V"], { stdio: "ignore", timeout: 10_000 });
  } catch {
    console.error("taskset is not installed: the apps share every core with the load generator");
    return undefined;
  }
  return { appCore: n - 1, otherCores: n === 2 ? "0" : `0-${n - 2}` };
}
const pinned = pinning();
const appWrapper = pinned ? ["taskset", "-c", String(pinned.appCore)] : undefined;
const arrivalTimeoutMs = intArg("arrival-timeout", args["arrival-timeout"], 1, 3600) * 1000;

interface Measured extends LoadSummary {
  /** CPU used by the app during the measured run, in cores (1 = one core busy). */
  appCores: number;
  /** App CPU per 1,000 responses, in ms. */
  appCpuMsPerKRequests: number;
  /** CPU used by the all-in-one CodeWarden (receiving what the SDK exports) during the run, in cores. */
  codewardenCores: number;
  /** CPU used by this process (autocannon) during the measured run, in cores. */
  loadGeneratorCores: number;
  /** Mean latency from Little's law (connections / requests per second), in µs: autocannon's 1 ms resolution is too coarse here. */
  meanLatencyUsLittle: number;
}

async function measure(gen: LoadGenerator, app: App, codewardenPid: number): Promise<Measured> {
  const pid = app.proc.child.pid!;
  const t0 = performance.now();
  const app0 = cpuSeconds(pid);
  const cw0 = cpuSeconds(codewardenPid);
  const self0 = process.cpuUsage();
  const summary = await gen.run(app.url, duration);
  const wall = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const appCpu = cpuSeconds(pid) - app0;
  return {
    ...summary,
    appCores: +(appCpu / wall).toFixed(2),
    appCpuMsPerKRequests: +((appCpu * 1e6) / summary.responses).toFixed(1),
    codewardenCores: +((cpuSeconds(codewardenPid) - cw0) / wall).toFixed(2),
    loadGeneratorCores: +((self.user + self.system) / 1e6 / wall).toFixed(2),
    meanLatencyUsLittle: Math.round((connections * 1e6) / summary.requestsPerSecond),
  };
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Issues of the default project that came from the benchmark's app, and the sum of their eventCount. */
async function storedErrors(webPort: number, token: string): Promise<{ events: number; issues: ApiIssue[] }> {
  const issues: ApiIssue[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const url: string = `http://127.0.0.1:${webPort}/api/v1/projects/default/issues?status=all&limit=100${
      cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
    }`;
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { issues: ApiIssue[]; nextCursor: string | null };
    issues.push(...body.issues.filter((i) => i.services.includes(SERVICE_NAME)));
    if (!body.nextCursor) break;
    cursor = body.nextCursor;
  }
  return { events: issues.reduce((n, i) => n + i.eventCount, 0), issues };
}

/** Polls the REST API until `target` events are stored, the count stalls for 20 s, or the deadline. */
/** How many errors the app passed to captureException (its GET /bench/captured). */
async function capturedIn(app: App): Promise<number> {
  const res = await fetch(`${app.url}/bench/captured`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /bench/captured answered ${res.status}`);
  const { captured } = (await res.json()) as { captured: number };
  if (!Number.isInteger(captured)) throw new Error(`GET /bench/captured: no count (${String(captured)})`);
  return captured;
}

async function waitForErrors(webPort: number, token: string, target: number) {
  const started = Date.now();
  let stored = await storedErrors(webPort, token);
  let last = stored.events;
  let lastChange = Date.now();
  while (stored.events < target && Date.now() - started < arrivalTimeoutMs) {
    if (stored.events !== last) {
      last = stored.events;
      lastChange = Date.now();
    } else if (stored.events > 0 && Date.now() - lastChange > 20_000) break;
    await new Promise((r) => setTimeout(r, 500));
    stored = await storedErrors(webPort, token);
  }
  return { ...stored, waitedMs: Date.now() - started };
}

const appNodeVersion = appNode
  ? execFileSync(appNode, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim()
  : process.version;

async function main() {
  ensureSdkBuild();
  ensureWebBuild();
  const ingestKey = `cw_ik_bench_${randomBytes(12).toString("hex")}`;
  const apiToken = `cw_at_bench_${randomBytes(12).toString("hex")}`;
  console.error(`apps run on Node.js ${appNodeVersion}`);
  console.error(
    `${connections} connections, ${warmup} s warm-up + ${rounds} × ${duration} s per app, 1 request in ${errorEvery} throws`,
  );
  if (databaseUrl) {
    console.error("app: products from Postgres (bench_sdk_products, seeded now)");
    await seedProducts(databaseUrl);
  }
  if (pinned) {
    // Every thread of this process, and the processes it starts from now on (CodeWarden), off the apps' core.
    execFileSync("taskset", ["-a", "-p", "-c", pinned.otherCores, String(process.pid)], {
      stdio: "ignore",
      timeout: 10_000,
    });
    console.error(
      `apps pinned to core ${pinned.appCore}; load generator and CodeWarden on ${pinned.otherCores}`,
    );
  }
  console.error("CodeWarden: the all-in-one launcher on a new data directory …");
  const cw = await startCodewarden({ ingestKey, apiToken });
  const profDir = args["cpu-prof"] ? tempDir("cw-bench-sdk-prof-") : undefined;
  let plain: App | undefined;
  let withSdk: App | undefined;
  let contextOnly: App | undefined;
  const contextGen = new LoadGenerator(connections, errorEvery);
  const contextRounds: Measured[] = [];
  const plainGen = new LoadGenerator(connections, errorEvery);
  const sdkGen = new LoadGenerator(connections, errorEvery);
  const plainRounds: Measured[] = [];
  const sdkRounds: Measured[] = [];
  let arrived: Awaited<ReturnType<typeof waitForErrors>>;
  let sdkExit: number | string = "not started";
  let capturedByApp = 0;
  type Window = { fromUs: number; toUs: number };
  let plainWindow: Window | undefined;
  let sdkWindow: Window | undefined;
  let profileDiff: ReturnType<typeof diffProfiles> | undefined;
  try {
    const common = { databaseUrl, node: appNode, framework, nodeFlags, wrapper: appWrapper };
    plain = await startApp({ ...common, cpuProfDir: profDir });
    if (args.floor) contextOnly = await startApp({ ...common, imports: [ALS_ONLY] });
    withSdk = await startApp({
      sdk: { collectorUrl: cw.url, ingestKey, env: sdkEnv },
      ...common,
      cpuProfDir: profDir,
    });
    if (warmup > 0) {
      console.error("warm-up …");
      await plainGen.run(plain.url, warmup);
      if (contextOnly) await contextGen.run(contextOnly.url, warmup);
      await sdkGen.run(withSdk.url, warmup);
    }
    for (let round = 1; round <= rounds; round++) {
      console.error(
        `round ${round}/${rounds}: without the SDK, ${contextOnly ? "AsyncLocalStorage only, " : ""}then with the SDK …`,
      );
      // Each app's profile covers its last round (an app idles while the other is measured).
      const t0 = nowUs();
      plainRounds.push(await measure(plainGen, plain, cw.proc.child.pid!));
      const tPlain = nowUs();
      if (contextOnly) contextRounds.push(await measure(contextGen, contextOnly, cw.proc.child.pid!));
      const t1 = nowUs();
      sdkRounds.push(await measure(sdkGen, withSdk, cw.proc.child.pid!));
      plainWindow = { fromUs: t0, toUs: tPlain };
      sdkWindow = { fromUs: t1, toUs: nowUs() };
    }
    // The app keeps running: its batch processors export on their own schedule (5 s for spans,
    // 1 s for logs), as in production; no flush is forced.
    capturedByApp = await capturedIn(withSdk);
    console.error(`waiting for the ${capturedByApp} captured errors to show in the REST API …`);
    arrived = await waitForErrors(cw.webPort, apiToken, capturedByApp);
  } finally {
    if (plain) await stopApp(plain);
    if (contextOnly) await stopApp(contextOnly);
    if (withSdk) sdkExit = await stopApp(withSdk);
    await stopHard(cw.proc);
    removeTempDir(cw.dataDir);
    if (databaseUrl) await dropProducts(databaseUrl);
    if (profDir && plain && withSdk && plainWindow && sdkWindow) {
      const round = (app: App, window: Window, m: Measured): ProfiledRound | undefined => {
        const file = profileOf(profDir, app.proc.child.pid!);
        if (!file) console.error(`no CPU profile of pid ${app.proc.child.pid} in ${profDir}`);
        return file ? { profile: summariseProfile(file, window, 1000), responses: m.responses } : undefined;
      };
      const a = round(plain, plainWindow, plainRounds.at(-1)!);
      const b = round(withSdk, sdkWindow, sdkRounds.at(-1)!);
      if (a && b) profileDiff = diffProfiles(a, b);
    }
  }

  /** Requests/s of `subject` over `baseline`, round by round (the two were measured minutes apart at most). */
  const ratiosByRound = (subject: Measured[], baseline: Measured[]) =>
    subject.map((m, i) => m.requestsPerSecond / baseline[i]!.requestsPerSecond);
  const roundRatios = ratiosByRound(sdkRounds, plainRounds);
  const base = medianBy(plainRounds, (m) => m.requestsPerSecond);
  const subj = medianBy(sdkRounds, (m) => m.requestsPerSecond);
  const ratio = median(roundRatios);
  const cpuRatio = median(
    sdkRounds.map((m, i) => m.appCpuMsPerKRequests / plainRounds[i]!.appCpuMsPerKRequests),
  );
  // The control: AsyncLocalStorage only, against the plain app, and the SDK against it, round by round.
  const floor = contextRounds.length
    ? {
        ratio: median(ratiosByRound(contextRounds, plainRounds)),
        sdkRatio: median(ratiosByRound(sdkRounds, contextRounds)),
        median: medianBy(contextRounds, (m) => m.requestsPerSecond),
      }
    : undefined;
  const unexpected = [...plainRounds, ...contextRounds, ...sdkRounds].reduce(
    (n, m) => n + m.unexpected + m.errors,
    0,
  );
  const captured = capturedByApp;
  // Every error the SDK app captured must be stored, once (span event and log record are one error).
  const arrivedOk = captured > 0 && arrived.events === captured;
  const goals = { ratioAtLeast90Percent: ratio >= GOAL_RATIO };

  const columns = floor ? [base, floor.median, subj] : [base, subj];
  const widths = [34, ...columns.map(() => 14)];
  const line = (label: string, f: (m: Measured) => string) => row([label, ...columns.map(f)], widths);
  console.log("");
  console.log(
    row(["SDK overhead (median round)", "without SDK", ...(floor ? ["ALS only"] : []), "with SDK"], widths),
  );
  console.log(line("requests/s", (m) => fmt(m.requestsPerSecond)));
  console.log(line("latency p50 / p99 (ms)", (m) => `${fmt(m.latencyMs.p50)} / ${fmt(m.latencyMs.p99)}`));
  console.log(line("mean latency, Little's law (µs)", (m) => fmt(m.meanLatencyUsLittle)));
  console.log(
    line("latency mean / max (ms)", (m) => `${fmt(m.latencyMs.mean, 2)} / ${fmt(m.latencyMs.max)}`),
  );
  console.log(line("responses (500s from /checkout)", (m) => `${fmt(m.responses)} (${m.errorResponses})`));
  console.log(line("app CPU (cores)", (m) => fmt(m.appCores, 2)));
  console.log(line("app CPU per 1,000 requests (ms)", (m) => fmt(m.appCpuMsPerKRequests, 1)));
  console.log(line("CodeWarden CPU (cores)", (m) => fmt(m.codewardenCores, 2)));
  console.log(line("load generator CPU (cores)", (m) => fmt(m.loadGeneratorCores, 2)));
  console.log(
    `ratio with / without (requests/s): median ${ratio.toFixed(3)}; rounds ${roundRatios.map((r) => r.toFixed(3)).join(", ")}; ` +
      `app CPU per request: ${cpuRatio.toFixed(3)}×`,
  );
  if (floor)
    console.log(
      `control, AsyncLocalStorage only: ratio to without ${floor.ratio.toFixed(3)}; ` +
        `the SDK's ratio to it ${floor.sdkRatio.toFixed(3)} (what the SDK adds beyond context propagation)`,
    );
  console.log(
    `errors: the SDK app captured ${captured} errors (warm-up included; the load generator saw ${sdkGen.errorsAnswered} of its 500s); ` +
      `the REST API shows ${arrived.events} events in ${arrived.issues.length} issue(s) of service ${SERVICE_NAME} ` +
      `after ${fmt(arrived.waitedMs / 1000, 1)} s`,
  );
  console.log(
    `${unexpected === 0 ? "PASS" : "FAIL"}  no unexpected statuses, connection errors or timeouts (${unexpected})`,
  );
  console.log(`${arrivedOk ? "PASS" : "FAIL"}  captured errors stored: ${arrived.events} of ${captured}`);
  console.log(
    `${goals.ratioAtLeast90Percent ? "PASS" : "FAIL"}  throughput cost < ${Math.round((1 - GOAL_RATIO) * 100)}% (ratio ${ratio.toFixed(3)} ≥ ${GOAL_RATIO})`,
  );
  if (profileDiff) printProfileDiff(profileDiff);

  const result = {
    bench: "sdk",
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, appNode: appNodeVersion },
    config: {
      app: args.app,
      connections,
      durationSeconds: duration,
      rounds,
      warmupSeconds: warmup,
      errorEvery,
      sdkEnv,
      nodeFlags,
      floor: args.floor,
      pinned: pinned ?? false,
    },
    sdkDistBuiltAt: sdkDistBuiltAt(),
    withoutSdk: base,
    withSdk: subj,
    ratioRequestsPerSecond: +ratio.toFixed(3),
    roundRatios: roundRatios.map((r) => +r.toFixed(3)),
    appCpuPerRequestRatio: +cpuRatio.toFixed(3),
    ...(floor
      ? {
          alsOnly: floor.median,
          alsOnlyRounds: contextRounds.map((m) => m.requestsPerSecond),
          ratioAlsOnlyToWithout: +floor.ratio.toFixed(3),
          ratioWithSdkToAlsOnly: +floor.sdkRatio.toFixed(3),
        }
      : {}),
    withoutSdkRounds: plainRounds.map((m) => m.requestsPerSecond),
    withSdkRounds: sdkRounds.map((m) => m.requestsPerSecond),
    errors: {
      captured,
      capturedSeenByLoadGenerator: sdkGen.errorsAnswered,
      stored: arrived.events,
      issues: arrived.issues.map((i) => ({ title: i.title, eventCount: i.eventCount })),
      waitedMs: arrived.waitedMs,
      ok: arrivedOk,
    },
    unexpected,
    sdkAppExit: sdkExit,
    goals,
    ...(profileDiff ? { profileDiff } : {}),
  };
  console.log(JSON.stringify(result));
  return arrivedOk && unexpected === 0;
}

runMain(main);
