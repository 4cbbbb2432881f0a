import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_DIR = fileURLToPath(new URL("../../", import.meta.url));
const REPO_ROOT = join(PACKAGE_DIR, "..");
// Written last by `npm run build`, so its age is the age of the whole build.
const BUILD_MARKER = join(PACKAGE_DIR, "dist", "cjs", "package.json");

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

function newestInput(): number {
  const inputs = [
    ...readdirSync(join(PACKAGE_DIR, "src")).map((name) => join(PACKAGE_DIR, "src", name)),
    join(PACKAGE_DIR, "package.json"),
    join(PACKAGE_DIR, "tsconfig.build.json"),
    join(PACKAGE_DIR, "tsconfig.cjs.json"),
  ];
  return Math.max(...inputs.map(mtime).filter((value) => !Number.isNaN(value)));
}

/**
 * Builds the package (`npm run build -w @codewarden/sdk-otel`) unless dist/ is newer than every input.
 * Skipping an up-to-date build matters: `npm test` builds first, and other test files (the end-to-end
 * suite) run the built package concurrently, so deleting dist/ under them would break them.
 */
export function ensureBuilt(): void {
  const built = mtime(BUILD_MARKER);
  if (!Number.isNaN(built) && built >= newestInput()) return;
  execFileSync("npm", ["run", "build", "-w", "@codewarden/sdk-otel"], { cwd: REPO_ROOT, stdio: "pipe" });
}
