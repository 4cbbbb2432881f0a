import {
  API_TOKEN_PREFIX,
  generateSecret,
  hashSecret,
  INGEST_KEY_PREFIX,
  secretHint,
} from "@codewarden/common";
import { and, eq } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens, memberships, organizations, users } from "../schema/auth";
import { ingestKeys, projects } from "../schema/projects";

export interface BootstrapParams {
  adminEmail: string;
  /** Use this ingest key instead of generating one (CODEWARDEN_BOOTSTRAP_INGEST_KEY). */
  ingestKey?: string;
  /** Use this API token instead of generating one (CODEWARDEN_BOOTSTRAP_API_TOKEN). */
  apiToken?: string;
}

export interface BootstrapResult {
  orgId: string;
  projectId: string;
  projectSlug: string;
  adminUserId: string;
  /** Plain-text key when it was created now or given by the caller; otherwise only its hint is known. */
  ingestKey: { value: string | null; hint: string; created: boolean };
  apiToken: { value: string | null; hint: string; created: boolean };
}

export const BOOTSTRAP_ORG_SLUG = "default";
export const BOOTSTRAP_PROJECT_SLUG = "default";

/**
 * Idempotently creates organisation "Default", project `default`, the admin user, an ingest
 * key and an API token. Safe to run at every start and from several processes at once.
 */
export async function ensureBootstrap(db: Db, params: BootstrapParams): Promise<BootstrapResult> {
  return db.transaction(async (tx) => {
    await tx
      .insert(organizations)
      .values({ name: "Default", slug: BOOTSTRAP_ORG_SLUG })
      .onConflictDoNothing({ target: organizations.slug });
    const [org] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.slug, BOOTSTRAP_ORG_SLUG));
    if (!org) throw new Error("bootstrap: organisation missing after insert");

    await tx
      .insert(projects)
      .values({ orgId: org.id, slug: BOOTSTRAP_PROJECT_SLUG, name: "Default" })
      .onConflictDoNothing({ target: [projects.orgId, projects.slug] });
    const [project] = await tx
      .select({ id: projects.id })
      .from(projects)
      .where(and(eq(projects.orgId, org.id), eq(projects.slug, BOOTSTRAP_PROJECT_SLUG)));
    if (!project) throw new Error("bootstrap: project missing after insert");

    const email = params.adminEmail.trim().toLowerCase();
    await tx.insert(users).values({ email, name: "Admin" }).onConflictDoNothing({ target: users.email });
    const [admin] = await tx.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (!admin) throw new Error("bootstrap: admin user missing after insert");
    await tx
      .insert(memberships)
      .values({ orgId: org.id, userId: admin.id, role: "owner" })
      .onConflictDoNothing();

    const ingestKey = await ensureSecret(
      params.ingestKey,
      INGEST_KEY_PREFIX,
      async () =>
        (
          await tx
            .select({ hint: ingestKeys.keyHint })
            .from(ingestKeys)
            .where(and(eq(ingestKeys.projectId, project.id), eq(ingestKeys.name, "bootstrap")))
            .limit(1)
        )[0]?.hint,
      async (value) => {
        const rows = await tx
          .insert(ingestKeys)
          .values({
            projectId: project.id,
            name: "bootstrap",
            keyHash: hashSecret(value),
            keyHint: secretHint(value),
          })
          .onConflictDoNothing({ target: ingestKeys.keyHash })
          .returning({ id: ingestKeys.id });
        return rows.length > 0;
      },
    );

    const apiToken = await ensureSecret(
      params.apiToken,
      API_TOKEN_PREFIX,
      async () =>
        (
          await tx
            .select({ hint: apiTokens.tokenHint })
            .from(apiTokens)
            .where(and(eq(apiTokens.orgId, org.id), eq(apiTokens.name, "bootstrap")))
            .limit(1)
        )[0]?.hint,
      async (value) => {
        const rows = await tx
          .insert(apiTokens)
          .values({
            orgId: org.id,
            createdBy: admin.id,
            name: "bootstrap",
            tokenHash: hashSecret(value),
            tokenHint: secretHint(value),
          })
          .onConflictDoNothing({ target: apiTokens.tokenHash })
          .returning({ id: apiTokens.id });
        return rows.length > 0;
      },
    );

    return {
      orgId: org.id,
      projectId: project.id,
      projectSlug: BOOTSTRAP_PROJECT_SLUG,
      adminUserId: admin.id,
      ingestKey,
      apiToken,
    };
  });
}

/**
 * A given secret is inserted if its hash is unknown. Without one, a secret is generated only
 * when no bootstrap secret exists yet; an existing one cannot be shown again (only its hash is kept).
 */
async function ensureSecret(
  given: string | undefined,
  prefix: string,
  existingHint: () => Promise<string | undefined>,
  insert: (value: string) => Promise<boolean>,
): Promise<{ value: string | null; hint: string; created: boolean }> {
  if (given) {
    const created = await insert(given);
    return { value: given, hint: secretHint(given), created };
  }
  const hint = await existingHint();
  if (hint) return { value: null, hint, created: false };
  const value = generateSecret(prefix);
  await insert(value);
  return { value, hint: secretHint(value), created: true };
}
