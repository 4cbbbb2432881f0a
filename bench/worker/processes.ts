/**
 * The processes of the worker benchmark: a redis-server of its own, the Bun worker
 * (`bun worker/src/main.ts`) and the collector (`collector/src/main.ts` under Node with tsx), as
 * they run in production (stopped and cleaned up through bench/lib/children.ts), and CPU
 * accounting from /proc.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { QUEUE_ERRORS } from "@codewarden/common";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import {
  BUN,
  eventually,
  freePort,
  type RedisServer,
  ROOT,
  type Spawned,
  spawnProcess,
  startRedisServer,
} from "../../test/e2e/harness";
import { stopHard, track } from "../lib/children";

export { cleanupAll, stopHard, tempDir } from "../lib/children";

/** A redis-server of the benchmark's own on a free port (no persistence), stopped at cleanup. */
export async function startBenchRedis(): Promise<RedisServer> {
  const redis = await startRedisServer();
  track(redis.proc);
  return redis;
}

export interface WorkerProcessOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  /** Extra environment (WORKER_CONCURRENCY, …). */
  env?: Record<string, string>;
  /** When set, the runtime writes a CPU profile (.cpuprofile) into this directory when the worker exits. */
  cpuProfDir?: string;
  /** `node` runs the same entry point under Node with tsx (a diagnostic: is it the runtime?). Default `bun`. */
  runtime?: "bun" | "node";
  /** Ready once this many workers are connected to the queue (default 1; more when starting several). */
  connectedWorkers?: number;
}

/**
 * The Bun worker exactly as production runs it (`bun worker/src/main.ts`, LOG_LEVEL=warn). Ready
 * once its BullMQ connection is registered with Redis (the "worker ready" line is info level).
 */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<Spawned> {
  const prof = opts.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const entry = join(ROOT, "worker", "src", "main.ts");
  const [command, args] =
    opts.runtime === "node"
      ? [process.execPath, [...prof, "--import", "tsx", entry]]
      : [BUN, [...prof, entry]];
  const proc = track(
    spawnProcess(command, args, {
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      CODEWARDEN_QUEUE_PREFIX: opts.queuePrefix,
      LOG_LEVEL: "warn",
      ...opts.env,
    }),
  );
  const connection = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  const queue = new Queue(QUEUE_ERRORS, { connection, prefix: opts.queuePrefix });
  try {
    await eventually(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`worker exited: ${proc.output()}`);
        return (await queue.getWorkersCount()) >= (opts.connectedWorkers ?? 1);
      },
      60_000,
      "the Bun worker to connect to the queue",
    );
  } catch (err) {
    await stopHard(proc);
    throw err;
  } finally {
    await queue.close();
    connection.disconnect();
  }
  return proc;
}

export interface CollectorProcess {
  url: string;
  proc: Spawned;
}

/** The production collector process (`collector/src/main.ts`: Postgres, BullMQ queue adapter). */
export async function startCollectorProcess(opts: {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
}): Promise<CollectorProcess> {
  const port = await freePort();
  const proc = track(
    spawnProcess(process.execPath, ["--import", "tsx", join(ROOT, "collector", "src", "main.ts")], {
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      CODEWARDEN_QUEUE_PREFIX: opts.queuePrefix,
      COLLECTOR_PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`collector exited: ${proc.output()}`);
        return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
      },
      60_000,
      "collector /readyz",
    );
  } catch (err) {
    await stopHard(proc);
    throw err;
  }
  return { url, proc };
}

/** CPU seconds (user + system) used so far by a process, from /proc; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of every live process whose command name is `name` (e.g. all Postgres backends), by pid. */
export function cpuByName(name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (comm !== name) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU used by processes named `name` between two cpuByName() snapshots (processes that started
 * meanwhile count whole; ones that exited meanwhile are lost, so keep connections open).
 */
export function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0);
  return sum;
}
