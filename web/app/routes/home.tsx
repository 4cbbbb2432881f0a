import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { requireUser } from "../services/auth.server";
import { homePath } from "../services/dashboard.server";

/** `/` → the first project's issues of the user's first organisation. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const path = await homePath(context, user);
  if (path) throw redirect(path);
  return null;
}

export default function Home() {
  return (
    <section className="card">
      <h1>No projects yet</h1>
      <p>You are not a member of an organisation with a project. Ask an owner to add you.</p>
    </section>
  );
}
