import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice, SecretOnce, SecretTable } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { loadProjectKeys, projectKeysAction } from "../services/keys.server";
import { MAX_NAME_LENGTH } from "../utils/names";
import { orgPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Ingest keys · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

/** Pages that may show a secret (or carry a link token) are never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadProjectKeys(context, user, params.org, params.project);
}

/** Owners create (the key is shown once, in this response) and revoke ingest keys. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return projectKeysAction(context, user, params.org, params.project, form);
}

export default function ProjectKeys() {
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
      {result?.secret ? (
        <SecretOnce label={`Ingest key ${result.secret.name}`} value={result.secret.value}>
          <pre className="secret-snippet">
            {`export OTEL_EXPORTER_OTLP_ENDPOINT=${d.otlpUrl}\nexport OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer ${result.secret.value}"`}
          </pre>
        </SecretOnce>
      ) : null}
      <section className="card" aria-labelledby="keys-title">
        <div className="section-head">
          <h2 id="keys-title">Ingest keys of {d.project.name}</h2>
          <Link to={`/projects/${encodeURIComponent(d.project.slug)}/setup`}>Setup instructions</Link>
        </div>
        <p className="muted small">
          Services send telemetry to <code>{d.otlpUrl}</code> with one of these keys. Only the first
          characters of each key are kept for display; a revoked key stops working within a minute.
        </p>
        <SecretTable
          rows={d.keys}
          now={d.now}
          csrf={csrf}
          canManage={d.canManage}
          idField="keyId"
          what="ingest key"
          revokeWarning="Services still sending with this key will be refused (401)."
        />
        {d.canManage ? (
          <Form method="post" className="inline-form">
            <h3 id="new-key-title">New ingest key</h3>
            <CsrfInput token={csrf} />
            <input type="hidden" name="intent" value="create" />
            <label htmlFor="key-name">Name</label>
            <div className="field-row">
              <input
                id="key-name"
                name="name"
                type="text"
                required
                maxLength={MAX_NAME_LENGTH}
                autoComplete="off"
                placeholder="production"
              />
              <button type="submit" className="button primary" disabled={busy}>
                Create key
              </button>
            </div>
          </Form>
        ) : (
          <p className="muted small">Only owners can create or revoke keys.</p>
        )}
      </section>
    </>
  );
}
