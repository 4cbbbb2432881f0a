import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice, SecretOnce } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { createProjectAction, loadNewProject } from "../services/orgs.server";
import { MAX_NAME_LENGTH } from "../utils/names";
import { orgPath, projectKeysPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `New project · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

/** Pages that may show a secret (or carry a link token) are never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadNewProject(context, user, params.org);
}

/** Owners create a project; the response shows its first ingest key once. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return createProjectAction(context, user, params.org, form);
}

export default function NewProject() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  const created = result?.secret?.projectSlug ? result.secret : null;
  if (created?.projectSlug) {
    const project = { slug: created.projectSlug };
    return (
      <>
        <ActionNotice data={result} />
        <SecretOnce label="Ingest key" value={created.value}>
          <p>
            Send telemetry with <code>Authorization: Bearer {"<this key>"}</code>, e.g.{" "}
            <code>OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer cw_ik_…"</code>.
          </p>
          <p className="actions-row">
            <Link to={`/projects/${encodeURIComponent(project.slug)}/setup`} className="button primary">
              Set up your services
            </Link>
            <Link to={`/projects/${encodeURIComponent(project.slug)}/issues`} className="button">
              Go to issues
            </Link>
            <Link to={projectKeysPath(d.org, project)} className="button">
              Manage ingest keys
            </Link>
          </p>
        </SecretOnce>
      </>
    );
  }
  return (
    <section className="card" aria-labelledby="new-project-title">
      <p className="crumbs">
        <Link to={`${orgPath(d.org)}/projects`}>← Projects</Link>
      </p>
      <h2 id="new-project-title">New project</h2>
      {d.canManage ? (
        <Form method="post" className="stack narrow-form">
          <CsrfInput token={csrf} />
          <label htmlFor="project-name">Name</label>
          <input
            id="project-name"
            name="name"
            type="text"
            required
            maxLength={MAX_NAME_LENGTH}
            autoComplete="off"
            placeholder="Checkout API"
          />
          <p className="muted small">
            The project&rsquo;s address comes from its name (e.g. <code>checkout-api</code>). It starts with
            one ingest key, shown once after creation.
          </p>
          <ActionNotice data={result} />
          <div>
            <button type="submit" className="button primary" disabled={busy}>
              Create project
            </button>
          </div>
        </Form>
      ) : (
        <>
          <ActionNotice data={result} />
          <p className="muted">Only owners of {d.org.name} can create projects.</p>
        </>
      )}
    </section>
  );
}
