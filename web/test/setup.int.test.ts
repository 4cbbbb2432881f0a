import { generateSecret, hashSecret, secretHint } from "@codewarden/common";
import { schema } from "@codewarden/drizzle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedMember, seedOtherOrg, signIn, startTestWeb, type TestWeb } from "./helpers";

/** The setup page (`/projects/:slug/setup`) on a real server, signed in through the real flow. */

const OTLP_URL = "https://otlp.example.com";
/** What CODEWARDEN_BOOTSTRAP_INGEST_KEY is set to: the one key the server may show in full. */
const BOOTSTRAP_KEY = `cw_ik_boot_${generateSecret("").slice(0, 24)}`;

let plain: TestWeb; // no bootstrap key configured: hints only
let boot: TestWeb; // CODEWARDEN_BOOTSTRAP_INGEST_KEY set
let plainCookie: string;
let bootCookie: string;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

const page = async (t: TestWeb, cookie: string, path: string) => {
  const res = await fetch(`${t.base}${path}`, { headers: { cookie }, redirect: "manual" });
  return { status: res.status, headers: res.headers, html: await res.text() };
};

/** The text of a snippet's <code> element, HTML entities decoded (React escapes text content). */
function snippetText(html: string, id: string): string {
  const m = new RegExp(`<code id="${id}-code"[^>]*>([\\s\\S]*?)</code>`).exec(html);
  if (!m) throw new Error(`no snippet ${id} in the page`);
  return m[1]!
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&amp;", "&");
}

beforeAll(async () => {
  [plain, boot] = await Promise.all([
    startTestWeb({ CODEWARDEN_OTLP_URL: OTLP_URL }),
    startTestWeb({ CODEWARDEN_OTLP_URL: OTLP_URL, CODEWARDEN_BOOTSTRAP_INGEST_KEY: BOOTSTRAP_KEY }),
  ]);
  await boot.db.insert(schema.ingestKeys).values({
    projectId: boot.boot.projectId,
    name: "from-env",
    keyHash: hashSecret(BOOTSTRAP_KEY),
    keyHint: secretHint(BOOTSTRAP_KEY),
  });
  other = await seedOtherOrg(plain.db);
  [plainCookie, bootCookie] = await Promise.all([signIn(plain), signIn(boot)]);
});

afterAll(async () => {
  await Promise.all([plain?.close(), boot?.close()]);
});

describe("GET /projects/:slug/setup", () => {
  it("shows the endpoint, the key's hint only, and every guide with its snippets", async () => {
    const res = await page(plain, plainCookie, "/projects/default/setup");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.html).toContain(`<code class="setup-endpoint">${OTLP_URL}</code>`);
    // Generated at bootstrap and stored hashed: only its hint may appear, never the key.
    const generated = plain.boot.ingestKey.value!;
    expect(res.html).toContain(`<code>${plain.boot.ingestKey.hint}…</code>`);
    expect(res.html).not.toContain(generated);
    expect(res.html).toContain('href="/settings/orgs/default/projects/default/keys"');
    for (const id of ["sdk-otel", "node", "python", "go", "java", "dotnet", "collector"]) {
      expect(res.html).toContain(`id="${id}"`);
    }
    expect(snippetText(res.html, "node-env")).toContain(
      "export OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20YOUR_INGEST_KEY",
    );
    expect(snippetText(res.html, "node-env")).toContain(`export OTEL_EXPORTER_OTLP_ENDPOINT=${OTLP_URL}\n`);
    expect(snippetText(res.html, "collector-config")).toContain(`endpoint: "${OTLP_URL}"`);
    // Defaults: the project slug as service name.
    expect(snippetText(res.html, "sdk-otel-env")).toContain("export OTEL_SERVICE_NAME=default\n");
  });

  it("shows the bootstrap key in full when the server was given it, and uses it in the snippets", async () => {
    const res = await page(boot, bootCookie, "/projects/default/setup");
    expect(res.status).toBe(200);
    expect(res.html).toContain(`<code class="setup-key">${BOOTSTRAP_KEY}</code>`);
    expect(snippetText(res.html, "sdk-otel-env")).toContain(
      `export CODEWARDEN_INGEST_KEY=${BOOTSTRAP_KEY}\n`,
    );
    expect(snippetText(res.html, "node-env")).toContain(
      `OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20${BOOTSTRAP_KEY}\n`,
    );
  });

  it("does not show the bootstrap key once it is revoked, nor on another project", async () => {
    const [project] = await boot.db
      .insert(schema.projects)
      .values({ orgId: boot.boot.orgId, slug: "second", name: "Second" })
      .returning({ id: schema.projects.id });
    const second = await page(boot, bootCookie, "/projects/second/setup");
    expect(second.status).toBe(200);
    expect(second.html).not.toContain(BOOTSTRAP_KEY);
    expect(second.html).toContain("This project has no ingest key yet.");
    expect(second.html).toContain('href="/settings/orgs/default/projects/second/keys"');
    expect(project).toBeDefined();
  });

  it("renders the service, environment and release from the query string, escaped", async () => {
    const q = new URLSearchParams({
      service: `</code><script>alert(1)</script>`,
      environment: "staging, eu=1",
      release: "2.0.0+build.7",
    });
    const res = await page(plain, plainCookie, `/projects/default/setup?${q}`);
    expect(res.status).toBe(200);
    expect(res.html).not.toContain("<script>alert(1)</script>");
    const env = snippetText(res.html, "java-env");
    expect(env).toContain(`export OTEL_SERVICE_NAME='</code><script>alert(1)</script>'\n`);
    expect(env).toContain(
      "export OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=staging%2C%20eu%3D1,service.version=2.0.0%2Bbuild.7\n",
    );
  });

  it("falls back to the defaults for unusable values", async () => {
    const res = await page(
      plain,
      plainCookie,
      `/projects/default/setup?service=${encodeURIComponent("a\nb")}&release=${"9".repeat(101)}`,
    );
    expect(res.status).toBe(200);
    const env = snippetText(res.html, "python-env");
    expect(env).toContain("export OTEL_SERVICE_NAME=default\n");
    expect(env).toContain("service.version=1.0.0\n");
  });

  it("answers 404 for another organisation's project and for an unknown one", async () => {
    expect((await page(plain, plainCookie, `/projects/${other.project.slug}/setup`)).status).toBe(404);
    expect((await page(plain, plainCookie, "/projects/nope/setup")).status).toBe(404);
  });

  it("is only for members: a member of the other organisation sees theirs, not ours", async () => {
    const email = `setup-member-${Date.now()}@other.example`;
    await seedMember(plain.db, other.orgId, email);
    const cookie = await signIn(plain, email);
    expect((await page(plain, cookie, `/projects/${other.project.slug}/setup`)).status).toBe(200);
    expect((await page(plain, cookie, "/projects/default/setup")).status).toBe(404);
  });

  it("redirects to sign-in without a session", async () => {
    const res = await fetch(`${plain.base}/projects/default/setup`, { redirect: "manual" });
    expect([302, 303]).toContain(res.status);
    expect(res.headers.get("location")).toMatch(/^\/login\b/);
  });

  it("is linked from the project's navigation", async () => {
    const res = await page(plain, plainCookie, "/projects/default/issues");
    expect(res.status).toBe(200);
    expect(res.html).toMatch(/<a[^>]*href="\/projects\/default\/setup"[^>]*>Setup<\/a>/);
  });
});
