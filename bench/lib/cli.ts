/** Command-line helpers shared by the benchmarks. */
import { cleanupAll } from "./children";

/** An integer option in [min, max]; throws naming the option otherwise. */
export function intArg(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

/** `KEY=VALUE` options (e.g. repeated `--sdk-env`) as an environment object; throws naming the option otherwise. */
export function envArgs(name: string, raw: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of raw ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new Error(`--${name} must be KEY=VALUE, got ${kv}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

/**
 * Runs a benchmark's main function, then stops its children and exits: 0 when every goal held
 * (`main` resolved true or nothing), 1 when one failed or it threw.
 */
export function runMain(main: () => Promise<unknown>): void {
  main()
    .then(async (ok) => {
      await cleanupAll();
      process.exit(ok === false ? 1 : 0);
    })
    .catch(async (err) => {
      console.error(err);
      await cleanupAll();
      process.exit(1);
    });
}
