import {
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { getSessionUser, requestSignInLink } from "../services/auth.server";
import { assertSameOrigin } from "../services/csrf.server";
import { normaliseEmail } from "../utils/email";

export const meta: MetaFunction = () => [{ title: "Sign in · CodeWarden" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getSessionUser(request, context)) throw redirect("/");
  return null;
}

/**
 * Sends a sign-in link when the address belongs to a user; answers the same either way. There is
 * no session yet, so instead of a CSRF token the request's origin is checked.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request, context);
  const form = await request.formData();
  const raw = String(form.get("email") ?? "");
  if (!normaliseEmail(raw)) return { sent: false as const, error: "Enter a valid email address." };
  await requestSignInLink(context, raw);
  return { sent: true as const, error: null };
}

export default function Login() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <main className="centered">
      <div className="card narrow">
        <h1 className="brand-title">
          <img src="/favicon.svg" alt="" width={28} height={28} /> CodeWarden
        </h1>
        {result?.sent ? (
          <div role="status">
            <h2>Check your email</h2>
            <p>
              If that address has an account, a sign-in link is on its way. It works once and expires in 15
              minutes.
            </p>
            <p className="muted small">
              Running locally without SMTP? The link is printed in the server&rsquo;s output.
            </p>
          </div>
        ) : (
          <Form method="post" className="stack">
            <label htmlFor="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autoComplete="email"
              required
              placeholder="you@example.com"
            />
            {result?.error ? (
              <p className="error" role="alert">
                {result.error}
              </p>
            ) : null}
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? "Sending…" : "Email me a sign-in link"}
            </button>
          </Form>
        )}
      </div>
    </main>
  );
}
