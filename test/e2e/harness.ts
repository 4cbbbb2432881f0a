import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** How `npm start` runs the launcher: Node with the tsx loader, one process. */
export const LAUNCHER = [process.execPath, ["--import", "tsx", join(ROOT, "scripts", "start.ts")]] as const;

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code (or the signal name). */
  stop(timeoutMs?: number): Promise<number | string>;
  exited(timeoutMs?: number): Promise<number | string>;
}

export function spawnProcess(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/root", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString("utf8");
    for (const l of listeners) l();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exit = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<T>((_, reject) =>
        setTimeout(
          () => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n--- output ---\n${out}`)),
          ms,
        ).unref(),
      ),
    ]);
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 60_000) {
      return withTimeout(
        new Promise<RegExpMatchArray>((resolve, reject) => {
          const check = () => {
            const m = out.match(pattern);
            if (m) {
              listeners.delete(check);
              resolve(m);
            }
          };
          listeners.add(check);
          check();
          void exit.then((code) => {
            if (!out.match(pattern)) reject(new Error(`process exited (${code}) before ${pattern}\n${out}`));
          });
        }),
        timeoutMs,
        String(pattern),
      );
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return withTimeout(exit, timeoutMs, "exit after SIGTERM");
    },
    exited(timeoutMs = 30_000) {
      return withTimeout(exit, timeoutMs, "exit");
    },
  };
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws with the last value). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}

export interface ApiIssue {
  id: string;
  title: string;
  exceptionType: string;
  message: string;
  culprit: string | null;
  status: string;
  eventCount: number;
  firstSeen: string;
  lastSeen: string;
  services: string[];
  environments: string[];
  summary: { source: string; text: string; likelyCause: string | null; suggestedFix: string | null } | null;
}

export function api(webPort: number, token: string) {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${webPort}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    get,
    issues: async (status = "all") =>
      (await get<{ issues: ApiIssue[] }>(`/api/v1/projects/default/issues?status=${status}&limit=100`))
        .issues,
  };
}

/** The Bun binary the project installs (devDependency `bun`), as the worker runs in production. */
export const BUN = join(ROOT, "node_modules", ".bin", "bun");

export interface RedisServer {
  port: number;
  url: string;
  proc: Spawned;
  /** Stops it: SHUTDOWN by SIGTERM (persists first when persistence is on), or SIGKILL with `hard`. */
  stop(opts?: { hard?: boolean }): Promise<number | string>;
}

export interface RedisServerOptions {
  /** Port to listen on (default: a free one). */
  port?: number;
  /**
   * Working directory for persistence: with it, AOF with `appendfsync always` (every write is on
   * disk before Redis answers, as BullMQ needs in production); without it, nothing is persisted.
   */
  dir?: string;
}

/** A redis-server of its own (127.0.0.1 only), for tests that stop and restart Redis. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const persistence = opts.dir
    ? ["--appendonly", "yes", "--appendfsync", "always", "--dir", opts.dir]
    : ["--appendonly", "no"];
  const proc = spawnProcess(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", ...persistence],
    {},
  );
  await proc.waitFor(/Ready to accept connections/, 30_000);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    async stop({ hard = false } = {}) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited(1000);
      if (hard) {
        proc.child.kill("SIGKILL");
        return proc.exited(10_000);
      }
      return proc.stop(30_000);
    },
  };
}

export interface AllInOne {
  proc: Spawned;
  dataDir: string;
  webPort: number;
  collectorPort: number;
}

/**
 * `npm start`'s launcher on a new data directory (under the OS temp folder, named after `dataDirPrefix`)
 * and free ports, bootstrapped with the given ingest key and API token, JSON logs; resolves once ready.
 * The caller stops it and removes `dataDir`.
 */
export async function startAllInOne(opts: {
  dataDirPrefix: string;
  ingestKey: string;
  apiToken: string;
}): Promise<AllInOne> {
  const dataDir = mkdtempSync(join(tmpdir(), opts.dataDirPrefix));
  const webPort = await freePort();
  const collectorPort = await freePort();
  const proc = spawnProcess(LAUNCHER[0], [...LAUNCHER[1]], {
    CODEWARDEN_DATA_DIR: dataDir,
    WEB_PORT: String(webPort),
    COLLECTOR_PORT: String(collectorPort),
    CODEWARDEN_BOOTSTRAP_INGEST_KEY: opts.ingestKey,
    CODEWARDEN_BOOTSTRAP_API_TOKEN: opts.apiToken,
    CODEWARDEN_LOG_FORMAT: "json",
  });
  await proc.waitFor(/CodeWarden ready/, 90_000);
  return { proc, dataDir, webPort, collectorPort };
}
