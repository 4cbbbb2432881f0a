import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./helpers/ensure-built.js";
import { FIXTURES_DIR } from "./helpers/run-fixture.js";

const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  main: string;
  module: string;
  types: string;
  exports: unknown;
};

/** Every file path named in `exports` (conditions nested to any depth). */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(exportTargets);
}

const relative = (path: string) => path.replace(/^\.\//, "");

let files: string[];

beforeAll(() => {
  ensureBuilt();
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: PACKAGE_DIR,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [report] = JSON.parse(out) as [{ files: { path: string }[] }];
  files = report.files.map((file) => file.path);
});

describe("npm pack contents", () => {
  it("ships both builds with their types, the README and package.json", () => {
    for (const path of [
      "package.json",
      "README.md",
      "dist/esm/index.js",
      "dist/esm/index.d.ts",
      "dist/esm/register.js",
      "dist/cjs/index.js",
      "dist/cjs/index.d.ts",
      "dist/cjs/register.js",
      "dist/cjs/package.json",
    ]) {
      expect(files, path).toContain(path);
    }
  });

  it("ships nothing but dist/, the README and package.json (no sources, tests or configs)", () => {
    const unexpected = files.filter(
      (path) => !path.startsWith("dist/") && path !== "README.md" && path !== "package.json",
    );
    expect(unexpected).toEqual([]);
    expect(files.some((path) => /\.test\.|\/test\/|^src\//.test(path))).toBe(false);
  });

  it("contains every file that main, module, types and exports point to", () => {
    const targets = [pkg.main, pkg.module, pkg.types, ...exportTargets(pkg.exports)].map(relative);
    expect(targets.length).toBeGreaterThan(8);
    for (const target of targets) expect(files, target).toContain(target);
  });
});

describe("package exports resolve", () => {
  const script = `
    const { createRequire } = await import("node:module");
    const require = createRequire(process.cwd() + "/");
    const cjs = require("@codewarden/sdk-otel");
    const esm = await import("@codewarden/sdk-otel");
    console.log(JSON.stringify({
      require: require.resolve("@codewarden/sdk-otel"),
      requireRegister: require.resolve("@codewarden/sdk-otel/register"),
      import: import.meta.resolve("@codewarden/sdk-otel"),
      importRegister: import.meta.resolve("@codewarden/sdk-otel/register"),
      cjsExports: Object.keys(cjs).sort(),
      esmExports: Object.keys(esm).filter((k) => k !== "default").sort(),
      initType: typeof esm.init + "/" + typeof cjs.init,
    }));`;

  it("import gets the ESM build, require the CommonJS build, with the same API", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: FIXTURES_DIR,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
    });
    const result = JSON.parse(out) as Record<string, string | string[]>;
    expect(result.require).toMatch(/sdk-otel\/dist\/cjs\/index\.js$/);
    expect(result.requireRegister).toMatch(/sdk-otel\/dist\/cjs\/register\.js$/);
    expect(result.import).toMatch(/^file:.*sdk-otel\/dist\/esm\/index\.js$/);
    expect(result.importRegister).toMatch(/^file:.*sdk-otel\/dist\/esm\/register\.js$/);
    expect(result.initType).toBe("function/function");
    expect(result.esmExports).toEqual(result.cjsExports);
    expect(result.esmExports).toEqual(
      expect.arrayContaining(["captureException", "captureMessage", "init", "setTag", "setUser", "shutdown"]),
    );
  });
});
