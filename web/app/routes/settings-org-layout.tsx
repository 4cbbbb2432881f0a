import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Link, NavLink, Outlet, useLoaderData, useSearchParams } from "@remix-run/react";
import { requireUser } from "../services/auth.server";
import { isOwner, requireMembership } from "../services/membership.server";
import accountsHref from "../styles/accounts.css?url";
import { orgPath } from "../utils/settings-paths";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: accountsHref }];

/** /settings/orgs/:org/*: the organisation's name and tabs (each page checks membership itself too). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const m = await requireMembership(context, user, params.org);
  return { org: { name: m.name, slug: m.slug }, role: m.role, owner: isOwner(m) };
}

export default function OrgSettingsLayout() {
  const { org, role, owner } = useLoaderData<typeof loader>();
  const [search] = useSearchParams();
  const base = orgPath(org);
  return (
    <div className="settings">
      <p className="crumbs">
        <Link to="/settings">← Settings</Link>
      </p>
      <div className="page-head">
        <h1>{org.name}</h1>
        <span className="badge">{role === "owner" ? "Owner" : "Member"}</span>
      </div>
      {search.get("joined") === "1" ? (
        <p className="notice notice-ok" role="status">
          {`Welcome! You are now a member of ${org.name}.`}
        </p>
      ) : null}
      <nav className="tabs" aria-label="Organisation settings">
        <NavLink to={base} end className="tab">
          Members
        </NavLink>
        <NavLink to={`${base}/projects`} className="tab">
          Projects
        </NavLink>
        <NavLink to={`${base}/tokens`} className="tab">
          API tokens
        </NavLink>
        {owner ? (
          <NavLink to={`${base}/audit`} className="tab">
            Audit log
          </NavLink>
        ) : null}
        {owner ? (
          <NavLink to={`${base}/evidence`} className="tab">
            Evidence
          </NavLink>
        ) : null}
      </nav>
      <Outlet />
    </div>
  );
}
