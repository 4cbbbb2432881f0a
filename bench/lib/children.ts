/**
 * The benchmarks' registry of child processes and temporary directories: every child is stopped
 * (SIGTERM, then SIGKILL) and every directory removed on every exit path — normal cleanup,
 * Ctrl-C, an uncaught error or `process.exit`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Spawned } from "../../test/e2e/harness";

const cleanups: Array<() => Promise<void>> = [];
const live = new Set<Spawned>();
const tempDirs = new Set<string>();

/** Registers a child so that cleanup stops it. */
export function track(p: Spawned): Spawned {
  live.add(p);
  return p;
}

/** Runs `fn` at cleanup (last registered first). */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** Stops a child: SIGTERM and up to `graceMs` to exit, then SIGKILL. Never throws. */
export async function stopHard(p: Spawned, graceMs = 20_000): Promise<number | string> {
  try {
    return await p.stop(graceMs);
  } catch {
    p.child.kill("SIGKILL");
    return p.exited(5_000).catch(() => "unknown");
  } finally {
    live.delete(p);
  }
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Runs registered cleanups (last first), then stops any child still alive and removes temp dirs. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error("cleanup failed:", err);
    }
  }
  for (const p of [...live]) await stopHard(p);
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

// Last resort when the process exits without running cleanupAll (uncaught error, process.exit).
process.on("exit", () => {
  for (const p of live) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping the benchmark's processes`);
    void cleanupAll().finally(() => process.exit(130));
  });
}
