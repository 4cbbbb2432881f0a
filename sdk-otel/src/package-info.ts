import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface PackageInfo {
  name?: string;
  version?: string;
}

const MAX_LEVELS = 32;
const MAX_FIELD_LENGTH = 214; // npm's own limit for package names

function field(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed && trimmed.length <= MAX_FIELD_LENGTH ? trimmed : undefined;
}

function readPackageJson(path: string): PackageInfo | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object") return undefined;
    const record = parsed as Record<string, unknown>;
    return { name: field(record.name), version: field(record.version) };
  } catch {
    return undefined;
  }
}

/**
 * Name and version from the nearest package.json at or above `cwd` that has a name
 * (a nameless package.json such as `{"type":"module"}` in a sub-folder is skipped).
 */
export function findPackageInfo(cwd: string): PackageInfo {
  let dir = cwd;
  for (let level = 0; level < MAX_LEVELS; level++) {
    const info = readPackageJson(join(dir, "package.json"));
    if (info?.name) return info;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return {};
}
