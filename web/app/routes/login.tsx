import {
  type ActionFunctionArgs,
  data,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, useActionData, useNavigation } from "@remix-run/react";
import { getSessionUser, parseSignInEmail, requestSignInLink } from "../services/auth.server";
import { assertSameOrigin } from "../services/csrf.server";

export const meta: MetaFunction = () => [{ title: "Sign in · CodeWarden" }];

/** The action's Retry-After (per-client rate limit) reaches the browser with the page. */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get("Retry-After");
  return retryAfter ? { "Retry-After": retryAfter } : new Headers();
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  if (await getSessionUser(request, context)) throw redirect("/");
  return null;
}

/**
 * Sends a sign-in link when the address belongs to a user; answers the same either way (and
 * equally fast). There is no session yet, so instead of a CSRF token the request's origin is
 * checked. Too many requests from one client address: 429 with Retry-After.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  assertSameOrigin(request, context);
  const form = await request.formData();
  const email = parseSignInEmail(form.get("email"));
  if (!email) return data({ sent: false as const, error: "Enter a valid email address." }, { status: 400 });
  const result = await requestSignInLink(context, email);
  if (result.status === "rate_limited") {
    const minutes = Math.ceil(result.retryAfterSeconds / 60);
    return data(
      {
        sent: false as const,
        error: `Too many sign-in requests from your network. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
      },
      { status: 429, headers: { "Retry-After": String(result.retryAfterSeconds) } },
    );
  }
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
