import { hashSecret } from "@codewarden/common";
import { listAuditLog, schema } from "@codewarden/drizzle";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, roleOf, signedIn } from "./accounts-helpers";
import { seedMember, seedOtherOrg, startTestWeb, type TestWeb } from "./helpers";

let t: TestWeb;
let owner: Client;
let other: Awaited<ReturnType<typeof seedOtherOrg>>;

beforeAll(async () => {
  t = await startTestWeb();
  owner = await signedIn(t);
  other = await seedOtherOrg(t.db);
});

afterAll(async () => {
  await t?.close();
});

const ORG = "/settings/orgs/default";
/** The members page is the organisation's index route: its forms post to `?index`. */
const MEMBERS = `${ORG}?index`;

const membership = (email: string, orgId = t.boot.orgId) => roleOf(t.db, orgId, email);

describe("organisations and projects", () => {
  it("any user creates an organisation and becomes its owner; slugs stay unique", async () => {
    const first = await owner.post("/settings", { intent: "createOrganization", name: "  Acme   Rockets " });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("/settings/orgs/acme-rockets/projects");
    const second = await owner.post("/settings", { intent: "createOrganization", name: "Acme Rockets" });
    expect(second.headers.get("location")).toBe("/settings/orgs/acme-rockets-2/projects");
    const [org] = await t.db
      .select()
      .from(schema.organizations)
      .where(eq(schema.organizations.slug, "acme-rockets"));
    expect(org?.name).toBe("Acme Rockets");
    expect(await membership(owner.email, org!.id)).toBe("owner");
    const audit = await listAuditLog(t.db, { orgId: org!.id });
    expect(audit.map((a) => a.action)).toEqual(["organization.created"]);
    expect(audit[0]).toMatchObject({ actorUserId: t.boot.adminUserId, ip: "127.0.0.1" });

    const page = await (await owner.get("/settings")).text();
    expect(page).toContain('href="/settings/orgs/acme-rockets"');
  });

  it("refuses empty and unprintable organisation names", async () => {
    const empty = await owner.post("/settings", { intent: "createOrganization", name: "   " });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain("Enter a name for the organisation");
    const bidi = await owner.post("/settings", { intent: "createOrganization", name: "evil\u202Egnp" });
    expect(bidi.status).toBe(400);
  });

  it("owners create projects: slug from the name, unique in the organisation, first ingest key shown once", async () => {
    const res = await owner.post(`${ORG}/projects/new`, { name: "Checkout API" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain("Project Checkout API created");
    const secret = /(cw_ik_[A-Za-z0-9_-]{43})/.exec(html)?.[1];
    expect(secret).toBeDefined();

    const [project] = await t.db
      .select()
      .from(schema.projects)
      .where(and(eq(schema.projects.orgId, t.boot.orgId), eq(schema.projects.slug, "checkout-api")));
    expect(project?.name).toBe("Checkout API");
    const keys = await t.db
      .select()
      .from(schema.ingestKeys)
      .where(eq(schema.ingestKeys.projectId, project!.id));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      name: "default",
      keyHash: hashSecret(secret!),
      keyHint: secret!.slice(0, 12),
      createdBy: t.boot.adminUserId,
    });

    // Shown once: the list afterwards has the hint, not the key.
    const list = await (await owner.get(`${ORG}/projects/checkout-api/keys`)).text();
    expect(list).toContain(secret!.slice(0, 12));
    expect(list).not.toContain(secret!);
    const projects = await (await owner.get(`${ORG}/projects`)).text();
    expect(projects).toContain("Checkout API");
    expect(projects).toContain("1 active key");

    await owner.post(`${ORG}/projects/new`, { name: "checkout api!" });
    const slugs = (
      await t.db
        .select({ slug: schema.projects.slug })
        .from(schema.projects)
        .where(eq(schema.projects.orgId, t.boot.orgId))
    ).map((r) => r.slug);
    expect(slugs).toEqual(expect.arrayContaining(["checkout-api", "checkout-api-2"]));

    const actions = (await listAuditLog(t.db, { orgId: t.boot.orgId })).map((a) => a.action);
    expect(actions.filter((a) => a === "project.created")).toHaveLength(2);
    expect(actions.filter((a) => a === "ingest_key.created")).toHaveLength(2);
  });

  it("members see the projects but cannot create one (403)", async () => {
    await seedMember(t.db, t.boot.orgId, "viewer@example.com");
    const viewer = await signedIn(t, "viewer@example.com");
    const page = await (await viewer.get(`${ORG}/projects`)).text();
    expect(page).toContain("Checkout API");
    expect(page).not.toContain("New project");
    const res = await viewer.post(`${ORG}/projects/new`, { name: "Sneaky" });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Only owners can create projects");
    const sneaky = await t.db.select().from(schema.projects).where(eq(schema.projects.name, "Sneaky"));
    expect(sneaky).toHaveLength(0);
  });
});

describe("members", () => {
  let memberId: string;
  let member: Client;

  beforeAll(async () => {
    memberId = await seedMember(t.db, t.boot.orgId, "removable@example.com");
    member = await signedIn(t, "removable@example.com");
  });

  it("lists members with their roles", async () => {
    const html = await (await owner.get(ORG)).text();
    expect(html).toContain("removable@example.com");
    expect(html).toContain("admin@localhost");
    expect(html).toMatch(/Make owner: removable@example.com/);
  });

  it("members cannot change roles or remove anyone (403)", async () => {
    expect(
      (await member.post(MEMBERS, { intent: "changeRole", userId: memberId, role: "owner" })).status,
    ).toBe(403);
    expect((await member.post(MEMBERS, { intent: "removeMember", userId: t.boot.adminUserId })).status).toBe(
      403,
    );
    expect(await membership("removable@example.com")).toBe("member");
    expect(await membership("admin@localhost")).toBe("owner");
  });

  it("the last owner can neither step down nor leave", async () => {
    const solo = await owner.post("/settings", { intent: "createOrganization", name: "Solo" });
    const path = solo.headers.get("location")!.replace(/\/projects$/, "");
    const demote = await owner.post(`${path}?index`, {
      intent: "changeRole",
      userId: t.boot.adminUserId,
      role: "member",
    });
    expect(demote.status).toBe(409);
    expect(await demote.text()).toContain("An organisation needs an owner");
    const leave = await owner.post(`${path}?index`, { intent: "leave" });
    expect(leave.status).toBe(409);
    expect(await leave.text()).toContain("You are the only owner");
    const [org] = await t.db.select().from(schema.organizations).where(eq(schema.organizations.slug, "solo"));
    expect(await membership(owner.email, org!.id)).toBe("owner");
  });

  it("owners change roles and remove members; the removed member loses access at once", async () => {
    const promote = await owner.post(MEMBERS, { intent: "changeRole", userId: memberId, role: "owner" });
    expect(promote.status).toBe(200);
    expect(await membership("removable@example.com")).toBe("owner");
    await owner.post(MEMBERS, { intent: "changeRole", userId: memberId, role: "member" });
    expect(await membership("removable@example.com")).toBe("member");

    const res = await owner.post(MEMBERS, { intent: "removeMember", userId: memberId });
    expect(res.status).toBe(200);
    expect(await membership("removable@example.com")).toBeNull();
    expect((await member.get(ORG)).status).toBe(404);
    expect((await member.get("/projects/default/issues")).status).toBe(404);

    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId, targetId: memberId });
    expect(audit.map((a) => a.action)).toEqual([
      "member.removed",
      "member.role_changed",
      "member.role_changed",
    ]);
    expect(audit[0]).toMatchObject({
      actorUserId: t.boot.adminUserId,
      metadata: { email: "removable@example.com" },
    });
  });

  it("members leave", async () => {
    await seedMember(t.db, t.boot.orgId, "leaver@example.com");
    const leaver = await signedIn(t, "leaver@example.com");
    const res = await leaver.post(MEMBERS, { intent: "leave" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/settings");
    expect(await membership("leaver@example.com")).toBeNull();
    const audit = await listAuditLog(t.db, { orgId: t.boot.orgId });
    expect(audit.find((a) => a.action === "member.left")?.metadata).toMatchObject({
      email: "leaver@example.com",
    });
  });
});

describe("another organisation's objects are not found (404)", () => {
  it("pages", async () => {
    for (const path of [
      `/settings/orgs/${other.project.slug}`,
      `/settings/orgs/other-nonexist`,
      `/settings/orgs/${other.orgId}`,
      `${ORG}/projects/${other.project.slug}/keys`,
      `/settings/orgs/${encodeURIComponent("Default")}`,
    ]) {
      const res = await owner.get(path);
      expect(res.status, path).toBe(404);
    }
    const [otherOrg] = await t.db
      .select({ slug: schema.organizations.slug })
      .from(schema.organizations)
      .where(eq(schema.organizations.id, other.orgId));
    for (const sub of ["", "/projects", "/tokens", "/audit", `/projects/${other.project.slug}/keys`]) {
      const res = await owner.get(`/settings/orgs/${otherOrg!.slug}${sub}`);
      expect(res.status, sub).toBe(404);
      expect(await res.text()).not.toContain("Secret project");
    }
  });

  it("forms: members, invitations and projects of another organisation", async () => {
    const [otherOrg] = await t.db
      .select({ slug: schema.organizations.slug })
      .from(schema.organizations)
      .where(eq(schema.organizations.id, other.orgId));
    const theirs = `/settings/orgs/${otherOrg!.slug}`;
    expect((await owner.post(`${theirs}?index`, { intent: "invite", email: "spy@example.com" })).status).toBe(
      404,
    );
    expect((await owner.post(`${theirs}/projects/new`, { name: "Implant" })).status).toBe(404);
    // Their member, through our own organisation's page.
    expect((await owner.post(MEMBERS, { intent: "removeMember", userId: other.userId })).status).toBe(404);
    expect(
      (await owner.post(MEMBERS, { intent: "changeRole", userId: other.userId, role: "member" })).status,
    ).toBe(404);
    expect(await membership(other.email, other.orgId)).toBe("owner");

    // Their invitation, through our page.
    const [inv] = await t.db
      .insert(schema.invitations)
      .values({
        orgId: other.orgId,
        email: "their-invitee@example.com",
        tokenHash: hashSecret("their-token"),
        expiresAt: new Date(Date.now() + 86_400_000),
      })
      .returning({ id: schema.invitations.id });
    expect((await owner.post(MEMBERS, { intent: "revokeInvitation", invitationId: inv!.id })).status).toBe(
      404,
    );
    const [still] = await t.db.select().from(schema.invitations).where(eq(schema.invitations.id, inv!.id));
    expect(still?.revokedAt).toBeNull();
    const implants = await t.db.select().from(schema.projects).where(eq(schema.projects.name, "Implant"));
    expect(implants).toHaveLength(0);
  });

  it("audit log: owners only", async () => {
    const html = await (await owner.get(`${ORG}/audit`)).text();
    expect(html).toContain("member.removed");
    expect(html).toContain("project.created");
    expect(html).toContain("member.role_changed");
    await seedMember(t.db, t.boot.orgId, "auditor@example.com");
    const auditor = await signedIn(t, "auditor@example.com");
    expect((await auditor.get(`${ORG}/audit`)).status).toBe(403);
  });
});
