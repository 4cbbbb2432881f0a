import {
  type ActionFunctionArgs,
  data,
  type HeadersFunction,
  type LinksFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { acceptInvitationAction, loadInvitation } from "../services/invitations.server";
import accountsHref from "../styles/accounts.css?url";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accountsHref }];
export const meta: MetaFunction = () => [{ title: "Invitation · CodeWarden" }];

const NO_STORE = { "Cache-Control": "no-store" };

/**
 * GET /invite?token=: shows the invitation; never accepts it (mail scanners follow links), the
 * page's button does (POST).
 */
/** The page carries the invitation token: never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const invitation = await loadInvitation(context, request);
  return data({ invitation }, { status: invitation ? 200 : 400, headers: NO_STORE });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const refusal = await acceptInvitationAction(context, request);
  if (refusal) return refusal;
  return data({ error: null, invalid: true }, { status: 400, headers: NO_STORE });
}

function Broken() {
  return (
    <>
      <h1>This invitation does not work</h1>
      <p>
        It may have expired (invitations last 7 days), been revoked, or been used already. Each invitation
        works once. Ask an owner of the organisation to invite you again.
      </p>
      <p>
        <Link to="/" className="button">
          Go to CodeWarden
        </Link>
      </p>
    </>
  );
}

export default function Invite() {
  const { invitation: inv } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const broken = !inv || (result && "invalid" in result && result.invalid);
  return (
    <main className="centered">
      <div className="card narrow invite-card">
        {broken || !inv ? (
          <Broken />
        ) : (
          <>
            <p className="muted">CodeWarden invitation</p>
            <h1>{`Join ${inv.organization}`}</h1>
            <p>
              {inv.invitedBy ? <>{inv.invitedBy} invited </> : "You are invited: "}
              <strong>{inv.email}</strong> to join <strong>{inv.organization}</strong> as{" "}
              {inv.role === "owner" ? "an owner" : "a member"}.
            </p>
            {result?.error ? (
              <p className="notice notice-error" role="alert">
                {result.error}
              </p>
            ) : null}
            {inv.signedInAs === null ? (
              <Form method="post" className="stack">
                <input type="hidden" name="token" value={inv.token} />
                <button type="submit" className="button primary" disabled={busy}>
                  {`Accept and sign in as ${inv.email}`}
                </button>
              </Form>
            ) : inv.signedInAs === inv.email ? (
              <Form method="post" className="stack">
                <CsrfInput token={inv.csrf ?? ""} />
                <input type="hidden" name="token" value={inv.token} />
                <button type="submit" className="button primary" disabled={busy}>
                  Accept invitation
                </button>
              </Form>
            ) : (
              <Form method="post" className="stack">
                <p>
                  You are signed in as <strong>{inv.signedInAs}</strong>, but the invitation is for{" "}
                  <strong>{inv.email}</strong>.
                </p>
                <CsrfInput token={inv.csrf ?? ""} />
                <input type="hidden" name="token" value={inv.token} />
                <input type="hidden" name="intent" value="switch" />
                <button type="submit" className="button primary" disabled={busy}>
                  {`Sign out and accept as ${inv.email}`}
                </button>
              </Form>
            )}
          </>
        )}
      </div>
    </main>
  );
}
