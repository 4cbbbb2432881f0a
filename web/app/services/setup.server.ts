import { hashSecret } from "@codewarden/common";
import {
  findIngestKeyGrant,
  findProjectBySlug,
  listIngestKeys,
  listUserOrganizations,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { z } from "zod";
import { projectKeysPath } from "../utils/settings-paths";
import type { SessionUser } from "./auth.server";
import { notFoundPage } from "./dashboard.server";
import { searchParamsOf } from "./pagination.server";

/** Presenter of the project setup page (`/projects/:slug/setup`). */

const DEFAULT_ENVIRONMENT = "production";
const DEFAULT_RELEASE = "1.0.0";
const SIMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A snippet input: printable text without control characters, up to 100 characters; otherwise the default. */
const snippetText = (fallback: string) =>
  z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]+$/u)
    .catch(fallback);

export interface IngestKeyHint {
  name: string;
  /** The first characters of the key (all that is stored readably). */
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export async function loadProjectSetup(
  context: AppLoadContext,
  user: SessionUser,
  slug: string | undefined,
  request: Request,
) {
  if (!slug || slug.length > 200) throw notFoundPage();
  const project = await findProjectBySlug(context.db, { slug, scope: { userId: user.userId } });
  if (!project) throw notFoundPage();

  const [allKeys, orgs] = await Promise.all([
    listIngestKeys(context.db, { projectId: project.id }),
    listUserOrganizations(context.db, { userId: user.userId }),
  ]);
  const keys = allKeys.filter((k) => !k.revokedAt);
  const org = orgs.find((o) => o.orgId === project.orgId);
  // Keys are stored hashed. The one exception the server can show is the bootstrap key given as
  // CODEWARDEN_BOOTSTRAP_INGEST_KEY (the start banner prints it too), when it works for this project.
  const bootstrap = context.config.bootstrapIngestKey;
  const grant = bootstrap ? await findIngestKeyGrant(context.db, hashSecret(bootstrap)) : null;
  const plainKey = bootstrap && grant?.projectId === project.id ? bootstrap : null;

  const query = z
    .object({
      service: snippetText(SIMPLE_NAME.test(project.slug) ? project.slug : "my-service"),
      environment: snippetText(DEFAULT_ENVIRONMENT),
      release: snippetText(DEFAULT_RELEASE),
    })
    .parse(searchParamsOf(request));

  return {
    project: { slug: project.slug, name: project.name },
    /** The project's ingest keys page (settings; owners create keys there). */
    keysPath: org ? projectKeysPath(org, project) : null,
    endpoint: context.config.otlpUrl,
    ingestKey: plainKey,
    keys: keys.map(
      (k): IngestKeyHint => ({
        name: k.name,
        hint: k.hint,
        createdAt: k.createdAt.toISOString(),
        lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      }),
    ),
    form: query,
    now: new Date().toISOString(),
  };
}
