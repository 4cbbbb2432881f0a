import { Form } from "@remix-run/react";
import type { ReactNode } from "react";
import { MAX_ALERT_FILTER_LENGTH, MAX_EMAIL_RECIPIENTS } from "../utils/alerts";
import { MAX_NAME_LENGTH } from "../utils/names";
import { CsrfInput } from "./csrf-input";

/**
 * The fields of the Alerts page's channel and rule forms, shared by "New …" and each row's
 * "Edit" (pre-filled). `idPrefix` keeps element ids unique on the page.
 */

export interface ChannelValues {
  name: string;
  kind: "slack" | "webhook" | "email";
  /** What the page shows of the destination (never a URL's path or a secret). */
  target: string;
  addresses: string[];
}

/** A channel's fields; when `channel` is given, an empty URL or signing secret keeps the current one. */
export function ChannelFields({ idPrefix, channel }: { idPrefix: string; channel?: ChannelValues }) {
  const editing = channel !== undefined;
  const urlKept = editing && channel.kind !== "email";
  return (
    <>
      <label htmlFor={`${idPrefix}-name`}>Name</label>
      <input
        id={`${idPrefix}-name`}
        name="name"
        type="text"
        required
        maxLength={MAX_NAME_LENGTH}
        autoComplete="off"
        placeholder="on-call"
        defaultValue={channel?.name}
      />
      <label htmlFor={`${idPrefix}-kind`}>Type</label>
      <select id={`${idPrefix}-kind`} name="kind" defaultValue={channel?.kind ?? "slack"}>
        <option value="slack">Slack-compatible incoming webhook</option>
        <option value="webhook">JSON webhook (signed)</option>
        <option value="email">Email</option>
      </select>
      <label htmlFor={`${idPrefix}-url`}>
        {urlKept ? "Webhook URL (empty: keep the current one)" : "Webhook URL (Slack and JSON webhooks)"}
      </label>
      <input
        id={`${idPrefix}-url`}
        name="url"
        type="url"
        autoComplete="off"
        placeholder={urlKept ? channel.target : "https://…"}
      />
      <label htmlFor={`${idPrefix}-secret`}>
        {editing
          ? "Signing secret (JSON webhook; empty: keep the current one, or generate one)"
          : "Signing secret (JSON webhook; empty: generate one)"}
      </label>
      <input id={`${idPrefix}-secret`} name="secret" type="text" autoComplete="off" spellCheck={false} />
      <label htmlFor={`${idPrefix}-addresses`}>
        Email addresses (up to {MAX_EMAIL_RECIPIENTS}, comma-separated)
      </label>
      <input
        id={`${idPrefix}-addresses`}
        name="addresses"
        type="text"
        autoComplete="off"
        defaultValue={channel?.addresses.join(", ")}
      />
    </>
  );
}

export interface RuleValues {
  name: string;
  kind: "new_issue" | "regression" | "spike";
  windowMinutes: number;
  spikeCount: number | null;
  spikeFactor: number | null;
  environment: string | null;
  service: string | null;
  digest: boolean;
  channelIds: string[];
}

/** A rule's fields, pre-filled with `rule` when editing it. */
export function RuleFields({
  idPrefix,
  channels,
  rule,
}: {
  idPrefix: string;
  channels: ReadonlyArray<{ id: string; name: string }>;
  rule?: RuleValues;
}) {
  return (
    <>
      <label htmlFor={`${idPrefix}-name`}>Name</label>
      <input
        id={`${idPrefix}-name`}
        name="name"
        type="text"
        required
        maxLength={MAX_NAME_LENGTH}
        autoComplete="off"
        defaultValue={rule?.name}
      />
      <label htmlFor={`${idPrefix}-kind`}>Alert on</label>
      <select id={`${idPrefix}-kind`} name="kind" defaultValue={rule?.kind ?? "new_issue"}>
        <option value="new_issue">A new issue</option>
        <option value="regression">A regression (a resolved issue comes back)</option>
        <option value="spike">A spike of events</option>
      </select>
      <label htmlFor={`${idPrefix}-window`}>Window in minutes (one notification per issue per window)</label>
      <input
        id={`${idPrefix}-window`}
        name="windowMinutes"
        type="number"
        min={5}
        max={1440}
        defaultValue={rule?.windowMinutes ?? 60}
      />
      <label htmlFor={`${idPrefix}-count`}>Spike: at least this many events in the window</label>
      <input
        id={`${idPrefix}-count`}
        name="spikeCount"
        type="number"
        min={1}
        defaultValue={rule?.spikeCount ?? undefined}
      />
      <label htmlFor={`${idPrefix}-factor`}>
        Spike: more than this many times the issue's usual hourly rate
      </label>
      <input
        id={`${idPrefix}-factor`}
        name="spikeFactor"
        type="number"
        min={1}
        step="0.1"
        defaultValue={rule?.spikeFactor ?? undefined}
      />
      <label htmlFor={`${idPrefix}-env`}>Only environment (empty: any)</label>
      <input
        id={`${idPrefix}-env`}
        name="environment"
        type="text"
        maxLength={MAX_ALERT_FILTER_LENGTH}
        autoComplete="off"
        defaultValue={rule?.environment ?? undefined}
      />
      <label htmlFor={`${idPrefix}-service`}>Only service (empty: any)</label>
      <input
        id={`${idPrefix}-service`}
        name="service"
        type="text"
        maxLength={MAX_ALERT_FILTER_LENGTH}
        autoComplete="off"
        defaultValue={rule?.service ?? undefined}
      />
      <fieldset>
        <legend>Channels</legend>
        {channels.map((c) => (
          <label key={c.id} className="checkbox">
            <input
              type="checkbox"
              name="channelIds"
              value={c.id}
              defaultChecked={rule?.channelIds.includes(c.id)}
            />{" "}
            {c.name}
          </label>
        ))}
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" name="digest" defaultChecked={rule?.digest} /> Also send a digest of every
        issue that fired each minute
      </label>
    </>
  );
}

/**
 * A row's "Edit": a disclosure holding a pre-filled POST form (works without JavaScript, like
 * ConfirmForm). Give it a `key` that changes with the values, so a saved edit closes it and
 * fills it afresh.
 */
export function EditForm({
  csrf,
  summaryLabel,
  fields,
  submit,
  busy,
  children,
}: {
  csrf: string;
  summaryLabel: string;
  fields: Record<string, string>;
  submit: string;
  busy: boolean;
  children: ReactNode;
}) {
  return (
    <details className="confirm">
      <summary className="button small" aria-label={summaryLabel}>
        Edit
      </summary>
      <Form method="post" className="confirm-body edit-body inline-form">
        <CsrfInput token={csrf} />
        {Object.entries(fields).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {children}
        <div className="field-row">
          <button type="submit" className="button primary small" disabled={busy}>
            {submit}
          </button>
        </div>
      </Form>
    </details>
  );
}
