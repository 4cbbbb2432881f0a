import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { requireUserForm, signOut } from "../services/auth.server";

/** POST /logout (with the CSRF token) revokes the session. */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUserForm(request, context);
  const cookie = await signOut(context, user);
  throw redirect("/login", { headers: { "Set-Cookie": cookie } });
}

export const loader = () => redirect("/");
