import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { CopyButton } from "./copy-button";
import { CsrfInput } from "./csrf-input";
import { RelativeTime } from "./relative-time";

/** Pieces shared by the account and organisation settings pages. */

export interface ActionMessages {
  error?: string;
  notice?: string;
}

/** The outcome of the last form: an error (alert) or a confirmation (status). */
export function ActionNotice({ data }: { data: ActionMessages | undefined }) {
  if (data?.error)
    return (
      <p className="notice notice-error" role="alert">
        {data.error}
      </p>
    );
  if (data?.notice)
    return (
      <p className="notice notice-ok" role="status">
        {data.notice}
      </p>
    );
  return null;
}

/**
 * A secret just created, shown on this one response: the database keeps only its hash, so it can
 * never be shown again. Selectable text without JavaScript; a Copy button with it.
 */
export function SecretOnce({
  label,
  value,
  children,
}: {
  label: string;
  value: string;
  children?: ReactNode;
}) {
  return (
    <section className="card secret-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title">{label}</h2>
      <p>
        <strong>Copy it now: it will not be shown again.</strong> CodeWarden keeps only a hash of it.
      </p>
      <div className="secret-row">
        <code id="secret-value" className="secret-value" data-testid="secret-value">
          {value}
        </code>
        <CopyButton text={value} targetId="secret-value" label={label} />
      </div>
      {children}
    </section>
  );
}

function HiddenFields({ fields }: { fields: Record<string, string> }) {
  return (
    <>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
    </>
  );
}

/**
 * A one-click POST to the page's action: the CSRF token, hidden `fields` (the intent and what it acts on)
 * and one small button. `label` names the button for screen readers when `children` alone is ambiguous
 * (one per table row).
 */
export function PostButton({
  csrf,
  fields,
  label,
  disabled,
  inline = true,
  children,
}: {
  csrf: string;
  fields: Record<string, string>;
  label?: string;
  disabled?: boolean;
  inline?: boolean;
  children: ReactNode;
}) {
  return (
    <Form method="post" className={inline ? "inline" : undefined}>
      <CsrfInput token={csrf} />
      <HiddenFields fields={fields} />
      <button type="submit" className="button small" disabled={disabled} aria-label={label}>
        {children}
      </button>
    </Form>
  );
}

/**
 * A destructive POST behind a disclosure: the first click opens it, the second confirms. Works
 * without JavaScript and from the keyboard, and needs no dialog.
 */
export function ConfirmForm({
  csrf,
  summary,
  summaryLabel,
  confirm,
  fields,
  warning,
}: {
  csrf: string;
  summary: string;
  /** Accessible name of the opener when `summary` alone is ambiguous (e.g. one per table row). */
  summaryLabel?: string;
  confirm: string;
  fields: Record<string, string>;
  warning?: string;
}) {
  return (
    <details className="confirm">
      <summary className="button small" aria-label={summaryLabel}>
        {summary}
      </summary>
      <Form method="post" className="confirm-body">
        <CsrfInput token={csrf} />
        <HiddenFields fields={fields} />
        {warning ? <p className="small">{warning}</p> : null}
        <button type="submit" className="button danger small">
          {confirm}
        </button>
      </Form>
    </details>
  );
}

export interface SecretListRow {
  id: string;
  name: string;
  hint: string;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  scopes?: string[];
}

/** Ingest keys or API tokens: never the secret, only its first characters. */
export function SecretTable({
  rows,
  now,
  csrf,
  canManage,
  idField,
  what,
  revokeWarning,
}: {
  rows: SecretListRow[];
  now: string;
  csrf: string;
  canManage: boolean;
  idField: "keyId" | "tokenId";
  what: string;
  revokeWarning: string;
}) {
  if (rows.length === 0) return <p className="muted">No {what}s yet.</p>;
  const withScopes = rows.some((r) => r.scopes);
  return (
    <div className="table-wrap">
      <table className="settings-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            {withScopes ? <th scope="col">Access</th> : null}
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            {canManage ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} className={r.revokedAt ? "revoked" : undefined}>
              <td data-label="Name" className="name-cell">
                {r.name}
              </td>
              <td data-label="Key" className="mono small">
                {`${r.hint}…`}
              </td>
              {withScopes ? (
                <td data-label="Access">{r.scopes?.includes("write") ? "read + write" : "read"}</td>
              ) : null}
              <td data-label="Created" className="small">
                <span>
                  <RelativeTime iso={r.createdAt} now={now} />
                  {r.createdBy ? <span className="muted">{` by ${r.createdBy}`}</span> : null}
                </span>
              </td>
              <td data-label="Last used" className="small">
                {r.lastUsedAt ? (
                  <RelativeTime iso={r.lastUsedAt} now={now} />
                ) : (
                  <span className="muted">never</span>
                )}
              </td>
              <td data-label="Status" className="small">
                {r.revokedAt ? (
                  <span className="badge badge-revoked">
                    Revoked <RelativeTime iso={r.revokedAt} now={now} />
                  </span>
                ) : (
                  <span className="badge badge-active">Active</span>
                )}
              </td>
              {canManage ? (
                <td data-label="" className="actions-cell">
                  {r.revokedAt ? null : (
                    <ConfirmForm
                      csrf={csrf}
                      summary="Revoke…"
                      summaryLabel={`Revoke ${r.name}…`}
                      confirm={`Revoke ${r.name}`}
                      fields={{ intent: "revoke", [idField]: r.id }}
                      warning={revokeWarning}
                    />
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
