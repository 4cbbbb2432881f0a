import { MAX_IN_APP_PATTERN_CHARS, MAX_IN_APP_PATTERNS, parseInAppPatternList } from "@codewarden/common";
import { getInAppRules, setInAppRules } from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import type { SessionUser } from "./auth.server";
import { actorOf, field, refused, reply } from "./forms.server";
import { requireProject } from "./keys.server";
import { isOwner, ownersOnly } from "./membership.server";

/** The project's in-app overrides, for its grouping settings page. */
export async function loadProjectGrouping(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  const rules = await getInAppRules(context.db, project.id);
  return {
    org: { name: m.name, slug: m.slug },
    project: { name: project.name, slug: project.slug },
    canManage: isOwner(m),
    include: rules.include,
    exclude: rules.exclude,
    limits: { patterns: MAX_IN_APP_PATTERNS, chars: MAX_IN_APP_PATTERN_CHARS },
  };
}

/** Owners replace the include / exclude patterns (one a line); audit-logged. */
export async function projectGroupingAction(
  context: AppLoadContext,
  user: SessionUser,
  orgSlug: string | undefined,
  projectSlug: string | undefined,
  form: FormData,
) {
  const { m, project } = await requireProject(context, user, orgSlug, projectSlug);
  if (!isOwner(m)) return ownersOnly("change how stack frames are classified");
  const include = parseInAppPatternList(field(form, "include"));
  const exclude = parseInAppPatternList(field(form, "exclude"));
  const errors = [
    ...include.errors.map((e) => `Always in-app, ${e}`),
    ...exclude.errors.map((e) => `Never in-app, ${e}`),
  ];
  if (errors.length > 0) return refused(errors.join("; "), 400);
  await setInAppRules(context.db, {
    orgId: m.orgId,
    projectId: project.id,
    rules: { include: include.patterns, exclude: exclude.patterns },
    actor: actorOf(context, user),
  });
  return reply({ notice: "Saved. Events processed from now on use these patterns." });
}
