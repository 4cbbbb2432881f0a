/** Command-line helpers shared by the benchmarks. */
import { cleanupAll } from "./children";

/** An integer option in [min, max]; throws naming the option otherwise. */
export function intArg(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
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
