/**
 * The web service as a child process, and signing in to it.
 *
 * - Timed rounds: the standalone web service as production runs it, `web/server/main.ts`
 *   (connect, migrate, ensureBootstrap, `startWeb` with the Remix build in web/build), under Node
 *   with tsx, NODE_ENV=production, on its own port.
 * - EXPLAIN phase: bench/dashboard/web-server.ts, the same `startWeb` with a query-logging pool.
 *
 * Sign-in is the real magic-link flow: POST /login, the link the dev mailer prints on the child's
 * stdout, GET /auth/verify, the `cw_session` cookie. When no link comes (the sign-in rate limit,
 * e.g. after several --keep-db runs within its window), a session row is created with the
 * project's own `createSession` query instead; the result says which was used.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hashSecret } from "@codewarden/common";
import { connectPostgres, createSession, findUserByEmail } from "@codewarden/drizzle";
import { eventually, freePort, ROOT, type Spawned, spawnProcess } from "../../test/e2e/harness";
import { stopHard, track } from "../lib/children";

export interface WebChild {
  base: string;
  pid: number;
  proc: Spawned;
  stop(): Promise<void>;
}

export const FETCH_TIMEOUT_MS = 60_000;

/** Fails early with the command to run when the Remix build that startWeb loads is missing. */
export function requireWebBuild(): void {
  if (!existsSync(join(ROOT, "web", "build", "server", "index.js")))
    throw new Error("web/build is missing: run `npm run build -w @codewarden/web` first");
}

const BUILD_INDEX = join(ROOT, "web", "build", "server", "index.js");

/**
 * Other people rebuild web/build while they work (`npm test` builds first), and a build removes
 * the directory before writing it again: wait for it, then start; once more if the child still
 * could not load it.
 */
export async function startWebChild(
  databaseUrl: string,
  opts: { captureQueries?: boolean; adminEmail: string },
): Promise<WebChild> {
  for (let attempt = 1; ; attempt++) {
    await eventually(async () => existsSync(BUILD_INDEX), 300_000, `${BUILD_INDEX} (being rebuilt?)`);
    try {
      return await startOnce(databaseUrl, opts);
    } catch (err) {
      if (attempt >= 3 || !/cannot load the server build/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
}

async function startOnce(
  databaseUrl: string,
  opts: { captureQueries?: boolean; adminEmail: string },
): Promise<WebChild> {
  const port = await freePort();
  const entry = opts.captureQueries
    ? join(ROOT, "bench", "dashboard", "web-server.ts")
    : join(ROOT, "web", "server", "main.ts");
  const proc = track(
    spawnProcess(process.execPath, ["--import", "tsx", entry], {
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      WEB_PORT: String(port),
      HOST: "127.0.0.1",
      SESSION_SECRET: "bench-dashboard-session-secret-0123456789",
      CODEWARDEN_ADMIN_EMAIL: opts.adminEmail,
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const exited = proc.child.exitCode !== null || proc.child.signalCode !== null;
    const up = exited
      ? false
      : await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.ok,
          () => false,
        );
    if (up) break;
    if (exited || Date.now() > deadline) {
      await stopHard(proc);
      throw new Error(
        `the web service (${entry}) ${exited ? "exited" : "did not answer /healthz in 120 s"}\n--- output ---\n${proc.output().slice(-4000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    pid: proc.child.pid!,
    proc,
    stop: async () => {
      await stopHard(proc);
    },
  };
}

const LINK_RE = /(https?:\/\/\S+\/auth\/verify\?token=[A-Za-z0-9_%-]+)/;

export interface SignedIn {
  /** `cw_session=…` for the Cookie header. */
  cookie: string;
  method: "magic link (POST /login, printed link, GET /auth/verify)" | "session row (createSession)";
  /** Why the magic link was not used, when it was not. */
  note?: string;
}

export async function signIn(web: WebChild, databaseUrl: string, email: string): Promise<SignedIn> {
  const before = web.proc.output().length;
  const res = await fetch(`${web.base}/login`, {
    method: "POST",
    body: new URLSearchParams({ email }),
    redirect: "manual",
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  let note = `POST /login answered ${res.status}`;
  if (res.status === 200) {
    const link = await eventually(
      async () => LINK_RE.exec(web.proc.output().slice(before))?.[1],
      5_000,
      "the sign-in link on the web service's stdout",
    ).catch(() => undefined);
    if (link) {
      const url = new URL(link);
      const verify = await fetch(`${web.base}${url.pathname}${url.search}`, {
        redirect: "manual",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      await verify.arrayBuffer();
      const m = /cw_session=([^;]+)/.exec(verify.headers.get("set-cookie") ?? "");
      if (m)
        return {
          cookie: `cw_session=${m[1]}`,
          method: "magic link (POST /login, printed link, GET /auth/verify)",
        };
      note = `GET /auth/verify answered ${verify.status} without a session cookie`;
    } else note = "no sign-in link was printed (rate limit?)";
  }
  // Fallback: a session row made by the project's own query, with a token like the app's.
  const handle = connectPostgres(databaseUrl, { max: 1 });
  try {
    const user = await findUserByEmail(handle.db, email);
    if (!user) throw new Error(`sign-in: no user ${email}`);
    const token = randomBytes(32).toString("base64url");
    await createSession(handle.db, {
      userId: user.id,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    return { cookie: `cw_session=${token}`, method: "session row (createSession)", note };
  } finally {
    await handle.close();
  }
}
