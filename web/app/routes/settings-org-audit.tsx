import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { RelativeTime } from "../components/relative-time";
import { loadAudit } from "../services/audit.server";
import { requireUser } from "../services/auth.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Audit log · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

/** Owners only (403 for members). `audit.csv` with the same query downloads the filtered rows. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadAudit(context, user, params.org, new URL(request.url));
}

export default function OrgAudit() {
  const d = useLoaderData<typeof loader>();
  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <p className="muted small">
        Sign-ins and changes to members, invitations, projects, keys, tokens, rules and issues; newest first.
      </p>
      <Form method="get" className="inline-form audit-filters" aria-label="Filter the audit log">
        {d.filters.action ? <input type="hidden" name="action" value={d.filters.action} /> : null}
        <div className="field-row">
          <div className="field">
            <label htmlFor="audit-category">What</label>
            <select id="audit-category" name="category" defaultValue={d.filters.category}>
              <option value="">Everything</option>
              {d.categories.map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-actor">Who</label>
            <select id="audit-actor" name="actor" defaultValue={d.filters.actor}>
              <option value="">Anyone</option>
              {d.members.map((m) => (
                <option key={m.userId} value={m.userId}>
                  {m.email}
                </option>
              ))}
              <option value="api_token">API tokens</option>
              <option value="system">System</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-from">From (UTC)</label>
            <input id="audit-from" name="from" type="date" defaultValue={d.filters.from} />
          </div>
          <div className="field">
            <label htmlFor="audit-to">To (UTC)</label>
            <input id="audit-to" name="to" type="date" defaultValue={d.filters.to} />
          </div>
          <button type="submit" className="button">
            Filter
          </button>
          {d.filtered ? <Link to={d.baseHref}>Clear</Link> : null}
        </div>
      </Form>
      <p className="small">
        {/* A document download, not a client-side navigation. */}
        <a href={d.csvHref} download className="button" data-testid="audit-export">
          Export CSV
        </a>{" "}
        <span className="muted">
          Every matching row (up to {d.exportMaxRows.toLocaleString("en")}), not only this page.
        </span>
      </p>
      {d.entries.length === 0 ? (
        <p className="muted">{d.filtered ? "Nothing matches these filters." : "Nothing yet."}</p>
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
      <nav className="pager small" aria-label="Audit log pages">
        {d.newestHref ? <Link to={d.newestHref}>« Newest</Link> : null}{" "}
        {d.olderHref ? (
          <Link to={d.olderHref} rel="next">
            Older »
          </Link>
        ) : null}
      </nav>
    </section>
  );
}
