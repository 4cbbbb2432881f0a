import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { RelativeTime } from "../components/relative-time";
import { requireUser } from "../services/auth.server";
import { loadAudit } from "../services/orgs.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Audit log · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

/** Owners only (403 for members). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadAudit(context, user, params.org);
}

export default function OrgAudit() {
  const d = useLoaderData<typeof loader>();
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="muted small">
        Changes to members, invitations, projects, keys, tokens and issues; newest first.
      </p>
      {d.entries.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="settings-table audit-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {d.entries.map((e) => (
                <tr key={e.id}>
                  <td data-label="When" className="small nowrap">
                    <RelativeTime iso={e.at} now={d.now} />
                  </td>
                  <td data-label="Who" className="small">
                    {e.actor}
                  </td>
                  <td data-label="What" className="mono small">
                    {e.action}
                  </td>
                  <td data-label="Details" className="small details-cell">
                    {e.details || "—"}
                  </td>
                  <td data-label="From" className="mono small">
                    {e.ip ?? "—"}
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
