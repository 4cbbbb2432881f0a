import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

export interface FixtureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface FixtureOptions {
  /** Load the zero-code entry point first: `--import` (ESM) or `--require` (CJS). */
  preload?: "import" | "require";
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** Called with each stdout chunk; may signal the child (e.g. SIGTERM once it is ready). */
  onStdout?: (text: string, child: { kill(signal: NodeJS.Signals): boolean }) => void;
  timeoutMs?: number;
}

/**
 * Runs `node [preload] fixtures/<file>` with a clean environment (PATH plus `env` only, so the CI's own
 * OTEL_* or *_SHA variables cannot leak in). Kills the child if it outlives `timeoutMs`.
 */
export function runFixture(file: string, options: FixtureOptions = {}): Promise<FixtureRun> {
  const preload =
    options.preload === "import"
      ? ["--import", "@codewarden/sdk-otel/register"]
      : options.preload === "require"
        ? ["--require", "@codewarden/sdk-otel/register"]
        : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...preload, file], {
    cwd: FIXTURES_DIR,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
