import type { LoaderFunctionArgs } from "@remix-run/node";
import { Form, Link, NavLink, Outlet, useLoaderData, useParams } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { requireUser } from "../services/auth.server";
import { loadShell } from "../services/dashboard.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadShell(context, user);
}

export default function DashboardLayout() {
  const shell = useLoaderData<typeof loader>();
  const { slug } = useParams();
  const currentProject = shell.projects.find((p) => p.slug === slug);
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <img src="/favicon.svg" alt="" width={20} height={20} />
            CodeWarden
          </Link>
          {shell.organization ? <span className="org muted">{shell.organization}</span> : null}
          <nav className="projects" aria-label="Projects">
            {shell.projects.map((p) => (
              <NavLink key={p.slug} to={`/projects/${encodeURIComponent(p.slug)}/issues`}>
                {p.name}
              </NavLink>
            ))}
            {currentProject ? (
              <NavLink
                to={`/projects/${encodeURIComponent(currentProject.slug)}/setup`}
                aria-label={`Set up ${currentProject.name}`}
              >
                Setup
              </NavLink>
            ) : null}
          </nav>
          <div className="account">
            <span className="muted email">{shell.email}</span>
            <NavLink to="/settings">Settings</NavLink>
            <Form method="post" action="/logout">
              <CsrfInput token={shell.csrf} />
              <button type="submit" className="button link">
                Sign out
              </button>
            </Form>
          </div>
        </div>
      </header>
      <main className="container">
        <Outlet />
      </main>
    </>
  );
}
