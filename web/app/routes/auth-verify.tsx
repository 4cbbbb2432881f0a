import { data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Link } from "@remix-run/react";
import { signInWithToken } from "../services/auth.server";

export const meta: MetaFunction = () => [{ title: "Sign in · CodeWarden" }];

/** GET /auth/verify?token= consumes a sign-in link once and opens a session. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  const cookie = await signInWithToken(context, token, request.headers.get("user-agent"));
  if (cookie) throw redirect("/", { headers: { "Set-Cookie": cookie, "Cache-Control": "no-store" } });
  return data({ ok: false }, { status: 400, headers: { "Cache-Control": "no-store" } });
}

export default function Verify() {
  return (
    <main className="centered">
      <div className="card narrow">
        <h1>This sign-in link does not work</h1>
        <p>It may have expired (links last 15 minutes) or been used already. Each link works once.</p>
        <p>
          <Link to="/login" className="button primary">
            Get a new link
          </Link>
        </p>
      </div>
    </main>
  );
}
