/**
 * The two targets of the ingest benchmark as child processes (stopped and cleaned up through
 * bench/lib/children.ts).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { eventually, freePort, LAUNCHER, ROOT, type Spawned, spawnProcess } from "../../test/e2e/harness";
import { tempDir, track } from "../lib/children";

export { cleanupAll, removeTempDir, stopHard, tempDir } from "../lib/children";

export interface Baseline {
  url: string;
  proc: Spawned;
}

export async function startBaseline(): Promise<Baseline> {
  const port = await freePort();
  const proc = track(
    spawnProcess(process.execPath, ["--import", "tsx", join(ROOT, "bench", "ingest", "baseline-server.ts")], {
      PORT: String(port),
    }),
  );
  await proc.waitFor(/baseline listening/, 60_000);
  return { url: `http://127.0.0.1:${port}`, proc };
}

export interface Subject {
  url: string;
  webPort: number;
  collectorPort: number;
  proc: Spawned;
  dataDir: string;
}

export interface SubjectOptions {
  ingestKey: string;
  apiToken: string;
  /** When set, the launcher runs under `node --cpu-prof` and writes its profile there on exit. */
  cpuProfDir?: string;
}

/** `npm run build` when the dashboard has not been built (the launcher serves web/build). */
export function ensureWebBuild(): void {
  if (existsSync(join(ROOT, "web", "build", "server"))) return;
  console.error("web/build is missing: running `npm run build` first");
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit", timeout: 600_000 });
}

/** The all-in-one launcher exactly as `npm start` runs it, on a new data directory. */
export async function startSubject(opts: SubjectOptions): Promise<Subject> {
  const dataDir = tempDir("cw-bench-ingest-");
  const webPort = await freePort();
  const collectorPort = await freePort();
  const env: Record<string, string> = {
    CODEWARDEN_DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    WEB_PORT: String(webPort),
    COLLECTOR_PORT: String(collectorPort),
    CODEWARDEN_BOOTSTRAP_INGEST_KEY: opts.ingestKey,
    CODEWARDEN_BOOTSTRAP_API_TOKEN: opts.apiToken,
    CODEWARDEN_LOG_FORMAT: "json",
    LOG_LEVEL: "warn",
  };
  // Node 20 refuses --cpu-prof in NODE_OPTIONS, so it goes before the launcher's own arguments.
  const profFlags = opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const proc = track(spawnProcess(LAUNCHER[0], [...profFlags, ...LAUNCHER[1]], env));
  // LOG_LEVEL=warn hides the "CodeWarden ready" log line; the banner is printed in one write
  // once the collector and the web server listen, and its last line is the API token.
  await proc.waitFor(/API token:/, 180_000);
  const url = `http://127.0.0.1:${collectorPort}`;
  await eventually(
    async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).ok,
    60_000,
    "collector /readyz",
  );
  return { url, webPort, collectorPort, proc, dataDir };
}

/** Log lines at warn or above that the subject printed (JSON logs), counted by message. */
export function warnings(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const rec = JSON.parse(line) as { level?: number; msg?: string };
      if ((rec.level ?? 0) >= 40) {
        const key = `${rec.level! >= 50 ? "error" : "warn"}: ${rec.msg ?? "(no message)"}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    } catch {
      // not a log record
    }
  }
  return counts;
}
