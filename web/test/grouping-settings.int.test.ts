import { getInAppRules, listAuditLog, schema } from "@codewarden/drizzle";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, signedIn } from "./accounts-helpers";
import { seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

let t: TestWeb;
let owner: Client;
let viewer: Client;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

const PAGE = "/settings/orgs/default/projects/default/grouping";

beforeAll(async () => {
  t = await startTestWeb();
  owner = await signedIn(t);
  await seedMember(t.db, t.boot.orgId, "viewer@example.com");
  viewer = await signedIn(t, "viewer@example.com");
  other = await seedOtherOrg(t.db);
});

afterAll(async () => {
  await t?.close();
});

describe("project grouping settings (in-app patterns)", () => {
  it("owners save patterns, one a line, where the worker reads them; the change is audit-logged", async () => {
    const res = await owner.post(PAGE, { include: " @acme/*\n\ncom.acme.shared.\n", exclude: "src/vendor/" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Events processed from now on use these patterns");
    expect(await getInAppRules(t.db, t.boot.projectId)).toEqual({
      include: ["@acme/*", "com.acme.shared."],
      exclude: ["src/vendor/"],
    });
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: t.boot.projectId });
    expect(audit[0]).toMatchObject({
      action: "project.grouping_changed",
      actorType: "user",
      metadata: { inAppInclude: ["@acme/*", "com.acme.shared."], inAppExclude: ["src/vendor/"] },
    });
    const page = await (await owner.get(PAGE)).text();
    expect(page).toContain("@acme/*\ncom.acme.shared.");
  });

  it("refuses bad patterns with the line, and saves nothing", async () => {
    const res = await owner.post(PAGE, { include: `ok\n${"x".repeat(201)}`, exclude: "*" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("Always in-app, line 2: longer than 200 characters");
    expect(html).toContain("Never in-app, line 1: a pattern of only * would match every frame");
    expect((await getInAppRules(t.db, t.boot.projectId)).include).toEqual(["@acme/*", "com.acme.shared."]);
  });

  it("members see the patterns read-only and cannot change them", async () => {
    const page = await (await viewer.get(PAGE)).text();
    expect(page).toContain("Only owners can change these patterns.");
    const res = await viewer.post(PAGE, { include: "", exclude: "" });
    expect(res.status).toBe(403);
    expect((await getInAppRules(t.db, t.boot.projectId)).exclude).toEqual(["src/vendor/"]);
  });

  it("needs the CSRF token, and answers 404 for another organisation's project", async () => {
    expect((await owner.postWithoutToken(PAGE, { include: "", exclude: "" })).status).toBe(403);
    const [org] = await t.db
      .select({ slug: schema.organizations.slug })
      .from(schema.organizations)
      .where(eq(schema.organizations.id, other.orgId));
    const foreign = `/settings/orgs/${org!.slug}/projects/${other.project.slug}/grouping`;
    expect((await owner.get(foreign)).status).toBe(404);
    expect((await owner.post(foreign, { include: "x", exclude: "" })).status).toBe(404);
  });
});
