import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { QUEUE_ERRORS } from "@codewarden/common";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../drizzle/src/testing";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

function start(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout?.on("data", (d) => {
    output += d;
  });
  child.stderr?.on("data", (d) => {
    output += d;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}

let db: TestDatabase;
const prefix = `cwtest-${randomBytes(4).toString("hex")}`;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  const queue = new Queue(QUEUE_ERRORS, {
    connection: { host: "127.0.0.1", port: 6379 },
    prefix,
    skipMetasUpdate: true,
  });
  await queue.obliterate({ force: true });
  await queue.close();
  await db?.drop();
});

describe("collector main (own process)", () => {
  it("refuses to start without DATABASE_URL and REDIS_URL, naming them", async () => {
    const { code, output } = await exitOf(start({}));
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL and REDIS_URL must be set/);
  });

  it("starts, serves /healthz, and exits 0 on SIGTERM", async () => {
    const child = start({
      DATABASE_URL: db.url,
      REDIS_URL: "redis://127.0.0.1:6379",
      CODEWARDEN_QUEUE_PREFIX: prefix,
      COLLECTOR_PORT: "0",
      LOG_LEVEL: "info",
    });
    const exited = exitOf(child);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let buf = "";
        const timer = setTimeout(() => reject(new Error(`no "listening" line: ${buf}`)), 30_000);
        child.stdout!.on("data", (d) => {
          buf += d;
          const m = /"port":(\d+).*"msg":"collector listening"/.exec(buf);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      child.kill("SIGTERM");
      const { code, output } = await exited;
      expect(output).toMatch(/collector shutting down/);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
