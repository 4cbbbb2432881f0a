import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { RelativeTime } from "../components/relative-time";
import { ActionNotice } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { evidenceAction, loadEvidence } from "../services/evidence.server";
import { evidenceDownloadPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Evidence · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

/** Owners only (403 for members, 404 for other organisations). */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadEvidence(context, user, params.org);
}

/** "Generate report" (CSRF; audit-logged as `evidence_report.requested`). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return evidenceAction(context, user, params.org, form);
}

const formatSize = (bytes: number | null) =>
  bytes === null
    ? "—"
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1048576).toFixed(1)} MB`;

export default function OrgEvidence() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  return (
    <section className="card" aria-labelledby="evidence-title">
      <h2 id="evidence-title">SOC 2 evidence reports</h2>
      <p className="muted small">
        A PDF per month of access changes, alerting and incident handling, for auditors. A report of the last
        month is made on the 1st of each month; the SHA-256 lets anyone check a copy against this list.
      </p>
      <ActionNotice data={result} />
      {d.configured ? null : (
        <p className="notice notice-error" role="status">
          Report generation is not configured in this process.
        </p>
      )}
      <Form method="post" className="inline-form" aria-label="Generate a report">
        <CsrfInput token={csrf} />
        <input type="hidden" name="intent" value="generate" />
        <fieldset disabled={!d.configured || busy} className="field-row">
          <label htmlFor="evidence-month">Month (UTC)</label>
          <input
            id="evidence-month"
            name="month"
            type="month"
            required
            min={d.minMonth}
            max={d.maxMonth}
            defaultValue={d.defaultMonth}
            pattern="\d{4}-\d{2}"
          />
          <button type="submit" className="button primary">
            Generate report
          </button>
        </fieldset>
      </Form>
      {d.reports.length === 0 ? (
        <p className="muted">No reports yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="settings-table" data-testid="evidence-reports">
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col">Pages</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
                <th scope="col">Created</th>
                <th scope="col">By</th>
                <th scope="col">Download</th>
              </tr>
            </thead>
            <tbody>
              {d.reports.map((r) => (
                <tr key={r.id} data-report-id={r.id} data-status={r.status}>
                  <td data-label="Period" className="nowrap">
                    {r.period}
                  </td>
                  <td data-label="Status">
                    {r.status}
                    {r.error ? <div className="small">{r.error}</div> : null}
                  </td>
                  <td data-label="Pages">{r.pages ?? "—"}</td>
                  <td data-label="Size" className="nowrap">
                    {formatSize(r.byteSize)}
                  </td>
                  <td data-label="SHA-256" className="mono small">
                    {r.sha256 ? (
                      <span title={r.sha256} data-sha256={r.sha256}>
                        {r.sha256.slice(0, 12)}…
                      </span>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td data-label="Created" className="small nowrap">
                    <RelativeTime iso={r.createdAt} now={d.now} />
                  </td>
                  <td data-label="By" className="small">
                    {r.by}
                  </td>
                  <td data-label="Download">
                    {r.status === "ready" ? (
                      // A document download, not a client-side navigation.
                      <a href={evidenceDownloadPath(d.org, r.id)} download>
                        PDF
                      </a>
                    ) : null}
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
