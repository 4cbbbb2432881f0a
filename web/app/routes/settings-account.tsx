import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { refused } from "../services/forms.server";
import { createOrganizationAction, loadAccount } from "../services/orgs.server";
import accountsHref from "../styles/accounts.css?url";
import { MAX_NAME_LENGTH } from "../utils/names";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accountsHref }];
export const meta: MetaFunction = () => [{ title: "Settings · CodeWarden" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadAccount(context, user);
}

/** Creates an organisation (the signed-in user becomes its owner). */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  if (form.get("intent") !== "createOrganization") return refused("Unknown action.", 400);
  return createOrganizationAction(context, user, form);
}

export default function AccountSettings() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="settings">
      <div className="page-head">
        <h1>Settings</h1>
      </div>

      <section className="card" aria-labelledby="orgs-title">
        <h2 id="orgs-title">Organisations</h2>
        {d.organizations.length === 0 ? (
          <p className="muted">
            You are not a member of any organisation yet. Create one, or ask an owner to invite you.
          </p>
        ) : (
          <ul className="plain-list">
            {d.organizations.map((o) => (
              <li key={o.slug}>
                <Link to={`/settings/orgs/${encodeURIComponent(o.slug)}`}>{o.name}</Link>{" "}
                <span className="badge">{o.role === "owner" ? "Owner" : "Member"}</span>
              </li>
            ))}
          </ul>
        )}
        <Form method="post" className="inline-form" aria-labelledby="new-org-title">
          <h3 id="new-org-title">New organisation</h3>
          <CsrfInput token={csrf} />
          <input type="hidden" name="intent" value="createOrganization" />
          <label htmlFor="org-name">Name</label>
          <div className="field-row">
            <input
              id="org-name"
              name="name"
              type="text"
              required
              maxLength={MAX_NAME_LENGTH}
              autoComplete="organization"
              placeholder="Acme Inc."
            />
            <button type="submit" className="button primary" disabled={busy}>
              Create organisation
            </button>
          </div>
          <ActionNotice data={result} />
        </Form>
      </section>

      <section className="card" aria-labelledby="account-title">
        <h2 id="account-title">Your account</h2>
        <dl className="meta-grid">
          <div>
            <dt>Email</dt>
            <dd>{d.email}</dd>
          </div>
          <div>
            <dt>Signed-in sessions</dt>
            <dd>{d.sessions}</dd>
          </div>
        </dl>
        <p className="muted small">
          Lost a device, or signed in on a shared computer? Signing out everywhere ends every session of your
          account, this one included, and voids sign-in links not used yet.
        </p>
        <Form method="post" action="/logout">
          <CsrfInput token={csrf} />
          <input type="hidden" name="scope" value="everywhere" />
          <button type="submit" className="button danger">
            Sign out everywhere
          </button>
        </Form>
      </section>
    </div>
  );
}
