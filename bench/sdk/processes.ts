/**
 * The SDK benchmark's child processes: bench/sdk/app.mjs without and with the SDK, and (from the
 * ingest benchmark) the all-in-one CodeWarden that the SDK exports to.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT, type Spawned, spawnProcess } from "../../test/e2e/harness";
import { track } from "../lib/children";

export { ensureWebBuild, startSubject as startCodewarden } from "../ingest/processes";

export const SERVICE_NAME = "bench-sdk-app";
const APP = join(ROOT, "bench", "sdk", "app.mjs");
/** The control preload: each request in AsyncLocalStorage.run and nothing else (see als-only.mjs). */
export const ALS_ONLY = join(ROOT, "bench", "sdk", "als-only.mjs");

/** `npm run build -w @codewarden/sdk-otel` when the SDK's dist is missing (it is not rebuilt otherwise). */
export function ensureSdkBuild(): void {
  if (existsSync(join(ROOT, "sdk-otel", "dist", "esm", "register.js"))) return;
  console.error("sdk-otel/dist is missing: running `npm run build -w @codewarden/sdk-otel` first");
  execFileSync("npm", ["run", "build", "-w", "@codewarden/sdk-otel"], {
    cwd: ROOT,
    stdio: "inherit",
    timeout: 300_000,
  });
}

/** When sdk-otel/dist was last built (the SDK is measured as built, whatever its source says). */
export function sdkDistBuiltAt(): string {
  return statSync(join(ROOT, "sdk-otel", "dist", "esm", "register.js")).mtime.toISOString();
}

export interface App {
  url: string;
  proc: Spawned;
}

/** The frameworks app.mjs can serve its routes through (APP_FRAMEWORK). */
export const FRAMEWORKS = ["express", "express5", "koa", "fastify"] as const;
export type Framework = (typeof FRAMEWORKS)[number];

/**
 * The framework an `--app` value names, or undefined for one of `bare` (the apps on bare node:http, e.g.
 * memory); anything else is an error.
 */
export function frameworkOfApp(app: string | undefined, bare: readonly string[]): Framework | undefined {
  const framework = FRAMEWORKS.find((f) => f === app);
  if (framework || bare.includes(app ?? "")) return framework;
  throw new Error(`--app must be one of ${[...bare, ...FRAMEWORKS].join(", ")}, got ${app}`);
}

export interface AppOptions {
  /** With the SDK: `--import @codewarden/sdk-otel/register`, exporting to this collector with this key. */
  sdk?: { collectorUrl: string; ingestKey: string; env?: Record<string, string> };
  /** When set, the app runs under `node --cpu-prof` and writes its profile there on exit. */
  cpuProfDir?: string;
  /** When set, the products route reads from Postgres (bench_sdk_products, seeded by run.ts). */
  databaseUrl?: string;
  /** The Node.js binary that runs the app (default: the one running the benchmark). */
  node?: string;
  /** Runs the app under this command, e.g. valgrind and its options (instructions.ts). */
  wrapper?: string[];
  /** Extra `--import` preloads (e.g. als-only.mjs). */
  imports?: string[];
  /** Extra Node.js options before the preloads, e.g. `--experimental-async-context-frame` on Node.js 22. */
  nodeFlags?: string[];
  /** How long to wait for the app to listen (default 30 s; much longer under valgrind). */
  startTimeoutMs?: number;
  /** "express" / "express5": the same routes through Express 4 / 5 (a JSON body parser and a router); "koa": behind two Koa middlewares; "fastify": a Fastify route's handler. */
  framework?: Framework;
}

export async function startApp(opts: AppOptions): Promise<App> {
  const port = await freePort();
  const env: Record<string, string> = { PORT: String(port), NODE_ENV: "production" };
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  if (opts.framework) env.APP_FRAMEWORK = opts.framework;
  const flags: string[] = [...(opts.nodeFlags ?? [])];
  if (opts.cpuProfDir) flags.push("--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`);
  if (opts.sdk) {
    flags.push("--import", "@codewarden/sdk-otel/register");
    Object.assign(env, {
      CODEWARDEN_ENDPOINT: opts.sdk.collectorUrl,
      CODEWARDEN_INGEST_KEY: opts.sdk.ingestKey,
      OTEL_SERVICE_NAME: SERVICE_NAME,
      CODEWARDEN_ENVIRONMENT: "bench",
      ...opts.sdk.env,
    });
  }
  for (const preload of opts.imports ?? []) flags.push("--import", preload);
  const node = opts.node ?? process.execPath;
  const [command, ...wrapperArgs] = opts.wrapper ?? [];
  const proc = track(
    command
      ? spawnProcess(command, [...wrapperArgs, node, ...flags, APP], env)
      : spawnProcess(node, [...flags, APP], env),
  );
  await proc.waitFor(/app listening/, opts.startTimeoutMs ?? 30_000);
  return { url: `http://127.0.0.1:${port}`, proc };
}

/** SIGINT (the app closes its server and exits normally: SDK flush, CPU profile), then SIGKILL. */
export async function stopApp(app: App, graceMs = 10_000): Promise<number | string> {
  const { child } = app.proc;
  if (child.exitCode !== null || child.signalCode !== null) return app.proc.exited(1000);
  child.kill("SIGINT");
  try {
    return await app.proc.exited(graceMs);
  } catch {
    child.kill("SIGKILL");
    return app.proc.exited(5000).catch(() => "unknown");
  }
}
