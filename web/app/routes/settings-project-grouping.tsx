import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { loadProjectGrouping, projectGroupingAction } from "../services/grouping.server";
import { orgPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Grouping · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadProjectGrouping(context, user, params.org, params.project);
}

/** Owners replace the project's in-app include / exclude patterns (CSRF; audit-logged). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return projectGroupingAction(context, user, params.org, params.project, form);
}

export default function ProjectGrouping() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <p className="crumbs">
        <Link to={`${orgPath(d.org)}/projects`}>← Projects</Link>
      </p>
      <ActionNotice data={result} />
      <section className="card" aria-labelledby="grouping-title">
        <h2 id="grouping-title">Stack frames of {d.project.name}</h2>
        <p className="muted small">
          Issues are grouped by the exception type and the project's own (in-app) frames. CodeWarden tells
          them from libraries by path and package for each language; correct it here when it gets yours wrong
          — a vendored library counted as yours, or a shared package of yours counted as a library. One
          pattern a line: a prefix of the frame's module (<code>com.acme.shared.</code>, <code>@acme/ui</code>
          ) or of any part of its file path (<code>src/vendor/</code>), with <code>*</code> for any
          characters. “Never” wins over “always”. At most {d.limits.patterns} patterns of {d.limits.chars}{" "}
          characters each. Changes apply to events processed from now on; existing issues keep their grouping.
        </p>
        <Form method="post" className="inline-form">
          <CsrfInput token={csrf} />
          <label htmlFor="include">Always in-app</label>
          <textarea
            id="include"
            name="include"
            rows={5}
            defaultValue={d.include.join("\n")}
            readOnly={!d.canManage}
            spellCheck={false}
            placeholder="@acme/*"
          />
          <label htmlFor="exclude">Never in-app</label>
          <textarea
            id="exclude"
            name="exclude"
            rows={5}
            defaultValue={d.exclude.join("\n")}
            readOnly={!d.canManage}
            spellCheck={false}
            placeholder="src/vendor/"
          />
          {d.canManage ? (
            <button type="submit" className="button primary" disabled={busy}>
              Save patterns
            </button>
          ) : (
            <p className="muted small">Only owners can change these patterns.</p>
          )}
        </Form>
      </section>
    </>
  );
}
