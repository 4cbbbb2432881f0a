import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice, SecretOnce, SecretTable } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { apiTokensAction, loadApiTokens } from "../services/keys.server";
import { MAX_NAME_LENGTH } from "../utils/names";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `API tokens · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

/** Pages that may show a secret (or carry a link token) are never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadApiTokens(context, user, params.org);
}

/** Owners create (the token is shown once, in this response) and revoke API tokens. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return apiTokensAction(context, user, params.org, form);
}

export default function OrgTokens() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <ActionNotice data={result} />
      {result?.secret ? (
        <SecretOnce label={`API token ${result.secret.name}`} value={result.secret.value}>
          <p className="small">
            Use it as <code>Authorization: Bearer …</code> on <code>/api/v1</code>.
          </p>
        </SecretOnce>
      ) : null}
      <section className="card" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <p className="muted small">
          Tokens give scripts and integrations access to every project of {d.org.name} through the REST API.
          Read-only tokens cannot change issues.
        </p>
        <SecretTable
          rows={d.tokens}
          now={d.now}
          csrf={csrf}
          canManage={d.canManage}
          idField="tokenId"
          what="API token"
          revokeWarning="Scripts using this token get 401 from now on."
        />
        {d.canManage ? (
          <Form method="post" className="inline-form">
            <h3>New API token</h3>
            <CsrfInput token={csrf} />
            <input type="hidden" name="intent" value="create" />
            <div className="field-row">
              <div className="field">
                <label htmlFor="token-name">Name</label>
                <input
                  id="token-name"
                  name="name"
                  type="text"
                  required
                  maxLength={MAX_NAME_LENGTH}
                  autoComplete="off"
                  placeholder="CI release script"
                />
              </div>
              <fieldset className="field radio-group">
                <legend>Access</legend>
                <label>
                  <input type="radio" name="access" value="read" defaultChecked /> Read
                </label>
                <label>
                  <input type="radio" name="access" value="read-write" /> Read + write
                </label>
              </fieldset>
              <button type="submit" className="button primary" disabled={busy}>
                Create token
              </button>
            </div>
          </Form>
        ) : (
          <p className="muted small">Only owners can create or revoke tokens.</p>
        )}
      </section>
    </>
  );
}
