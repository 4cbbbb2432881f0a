import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { RelativeTime } from "../components/relative-time";
import { requireUser } from "../services/auth.server";
import { loadProjects } from "../services/orgs.server";
import { orgPath, projectAlertsPath, projectGroupingPath, projectKeysPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Projects · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadProjects(context, user, params.org);
}

export default function OrgProjects() {
  const d = useLoaderData<typeof loader>();
  return (
    <section className="card" aria-labelledby="projects-title">
      <div className="section-head">
        <h2 id="projects-title">Projects</h2>
        {d.canManage ? (
          <Link to={`${orgPath(d.org)}/projects/new`} className="button primary">
            New project
          </Link>
        ) : null}
      </div>
      {d.projects.length === 0 ? (
        <p className="muted">
          No projects yet.{" "}
          {d.canManage ? "Create one to get an ingest key for your services." : "Ask an owner to create one."}
        </p>
      ) : (
        <div className="table-wrap">
          <table className="settings-table">
            <thead>
              <tr>
                <th scope="col">Project</th>
                <th scope="col">Slug</th>
                <th scope="col">Ingest keys</th>
                <th scope="col">Grouping</th>
                <th scope="col">Alerts</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {d.projects.map((p) => (
                <tr key={p.slug}>
                  <td data-label="Project" className="name-cell">
                    <Link to={`/projects/${encodeURIComponent(p.slug)}/issues`}>{p.name}</Link>
                  </td>
                  <td data-label="Slug" className="mono small">
                    {p.slug}
                  </td>
                  <td data-label="Ingest keys">
                    <Link to={projectKeysPath(d.org, p)} aria-label={`Ingest keys of ${p.name}`}>
                      {p.activeKeys === 1 ? "1 active key" : `${p.activeKeys} active keys`}
                    </Link>
                  </td>
                  <td data-label="Grouping">
                    <Link to={projectGroupingPath(d.org, p)} aria-label={`Stack frame grouping of ${p.name}`}>
                      In-app frames
                    </Link>
                  </td>
                  <td data-label="Alerts">
                    <Link to={projectAlertsPath(d.org, p)} aria-label={`Alerts of ${p.name}`}>
                      Alerts
                    </Link>
                  </td>
                  <td data-label="Created" className="small">
                    <RelativeTime iso={p.createdAt} now={d.now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
