import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { requireUserForm, signOut, signOutEverywhere } from "../services/auth.server";

/**
 * POST /logout (with the CSRF token) revokes the session; with `scope=everywhere`, every session
 * of the user (other browsers and devices too).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  const cookie =
    form.get("scope") === "everywhere"
      ? await signOutEverywhere(context, user)
      : await signOut(context, user);
  throw redirect("/login", { headers: { "Set-Cookie": cookie } });
}

export const loader = () => redirect("/");
