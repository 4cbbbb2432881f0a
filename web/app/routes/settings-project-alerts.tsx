import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { RelativeTime } from "../components/relative-time";
import { ActionNotice, ConfirmForm, SecretOnce } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { type AlertsActionData, loadProjectAlerts, projectAlertsAction } from "../services/alerts.server";
import { requireUser, requireUserForm } from "../services/auth.server";
import { MAX_ALERT_FILTER_LENGTH, MAX_EMAIL_RECIPIENTS } from "../utils/alerts";
import { MAX_NAME_LENGTH } from "../utils/names";
import { orgPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Alerts · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

/** A generated webhook secret is shown once, in an action's response: never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadProjectAlerts(context, user, params.org, params.project);
}

/** Owners add and delete channels and rules (CSRF; audit-logged) and send test messages. */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return projectAlertsAction(context, user, params.org, params.project, form);
}

const KIND_LABEL = { slack: "Slack webhook", webhook: "JSON webhook", email: "Email" } as const;
const RULE_LABEL = { new_issue: "New issue", regression: "Regression", spike: "Spike" } as const;

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

function ruleCondition(r: LoaderData["rules"][number]): string {
  const parts: string[] = [];
  if (r.kind === "spike") {
    if (r.spikeCount !== null) parts.push(`≥ ${r.spikeCount} events`);
    if (r.spikeFactor !== null) parts.push(`> ${r.spikeFactor}× the usual rate`);
    parts.push(`in ${r.windowMinutes} min`);
  } else parts.push(`at most one per issue per ${r.windowMinutes} min`);
  if (r.environment !== null) parts.push(`environment ${r.environment}`);
  if (r.service !== null) parts.push(`service ${r.service}`);
  if (r.digest) parts.push("with digest");
  return parts.join(" · ");
}

export default function ProjectAlerts() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  // Only the create-channel answer carries it (the other answers are plain notices).
  const secret = (result as AlertsActionData | undefined)?.webhookSecret;
  return (
    <>
      <p className="crumbs">
        <Link to={`${orgPath(d.org)}/projects`}>← Projects</Link>
      </p>
      <ActionNotice data={result} />
      {secret ? (
        <SecretOnce label={`Signing secret of ${secret.name}`} value={secret.value}>
          <p className="small">
            Each request carries <code>X-CodeWarden-Signature: t=…,v1=…</code>: the hex HMAC-SHA256 of{" "}
            <code>{"<t>.<body>"}</code> with this secret.
          </p>
        </SecretOnce>
      ) : null}

      <section className="card" aria-labelledby="channels-title">
        <h2 id="channels-title">Alert channels of {d.project.name}</h2>
        {d.channels.length === 0 ? (
          <p className="muted">No channels yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="settings-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Destination</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.channels.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Name" className="name-cell">
                      {c.name}
                    </td>
                    <td data-label="Type">
                      {KIND_LABEL[c.kind]}
                      {c.signed ? " (signed)" : ""}
                    </td>
                    <td data-label="Destination" className="mono small">
                      {c.target}
                    </td>
                    <td data-label="Actions">
                      {d.canManage ? (
                        <>
                          <Form method="post" className="inline">
                            <CsrfInput token={csrf} />
                            <input type="hidden" name="intent" value="test-channel" />
                            <input type="hidden" name="channelId" value={c.id} />
                            <button
                              type="submit"
                              className="button small"
                              disabled={busy}
                              aria-label={`Send test to ${c.name}`}
                            >
                              Send test
                            </button>
                          </Form>
                          <ConfirmForm
                            csrf={csrf}
                            summary="Delete"
                            summaryLabel={`Delete channel ${c.name}`}
                            confirm="Delete channel"
                            fields={{ intent: "delete-channel", channelId: c.id }}
                            warning="Rules stop notifying it."
                          />
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {d.canManage ? (
          <Form method="post" className="inline-form">
            <h3>New channel</h3>
            <CsrfInput token={csrf} />
            <input type="hidden" name="intent" value="create-channel" />
            <label htmlFor="channel-name">Name</label>
            <input
              id="channel-name"
              name="name"
              type="text"
              required
              maxLength={MAX_NAME_LENGTH}
              autoComplete="off"
              placeholder="on-call"
            />
            <label htmlFor="channel-kind">Type</label>
            <select id="channel-kind" name="kind" defaultValue="slack">
              <option value="slack">Slack-compatible incoming webhook</option>
              <option value="webhook">JSON webhook (signed)</option>
              <option value="email">Email</option>
            </select>
            <label htmlFor="channel-url">Webhook URL (Slack and JSON webhooks)</label>
            <input id="channel-url" name="url" type="url" autoComplete="off" placeholder="https://…" />
            <label htmlFor="channel-secret">Signing secret (JSON webhook; empty: generate one)</label>
            <input id="channel-secret" name="secret" type="text" autoComplete="off" spellCheck={false} />
            <label htmlFor="channel-addresses">
              Email addresses (up to {MAX_EMAIL_RECIPIENTS}, comma-separated)
            </label>
            <input id="channel-addresses" name="addresses" type="text" autoComplete="off" />
            <div className="field-row">
              <button type="submit" className="button primary" disabled={busy}>
                Add channel
              </button>
            </div>
          </Form>
        ) : (
          <p className="muted small">Only owners can change alerts.</p>
        )}
      </section>

      <section className="card" aria-labelledby="rules-title">
        <h2 id="rules-title">Alert rules</h2>
        <p className="muted small">
          At most one notification per issue, rule and window; more than 5 issues firing for a rule within a
          minute are sent as one digest. Ignored issues never alert.
        </p>
        {d.rules.length === 0 ? (
          <p className="muted">No rules yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="settings-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">On</th>
                  <th scope="col">Condition</th>
                  <th scope="col">Channels</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.rules.map((r) => (
                  <tr key={r.id}>
                    <td data-label="Name" className="name-cell">
                      {r.name}
                      {r.enabled ? "" : " (off)"}
                    </td>
                    <td data-label="On">{RULE_LABEL[r.kind]}</td>
                    <td data-label="Condition" className="small">
                      {ruleCondition(r)}
                    </td>
                    <td data-label="Channels" className="small">
                      {r.channels.join(", ")}
                    </td>
                    <td data-label="Actions">
                      {d.canManage ? (
                        <>
                          <Form method="post" className="inline">
                            <CsrfInput token={csrf} />
                            <input type="hidden" name="intent" value="toggle-rule" />
                            <input type="hidden" name="ruleId" value={r.id} />
                            <input type="hidden" name="enabled" value={r.enabled ? "false" : "true"} />
                            <button type="submit" className="button small" disabled={busy}>
                              {r.enabled ? "Turn off" : "Turn on"}
                            </button>
                          </Form>
                          <ConfirmForm
                            csrf={csrf}
                            summary="Delete"
                            summaryLabel={`Delete rule ${r.name}`}
                            confirm="Delete rule"
                            fields={{ intent: "delete-rule", ruleId: r.id }}
                          />
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {d.canManage && d.channels.length > 0 ? (
          <Form method="post" className="inline-form">
            <h3>New rule</h3>
            <CsrfInput token={csrf} />
            <input type="hidden" name="intent" value="create-rule" />
            <label htmlFor="rule-name">Name</label>
            <input
              id="rule-name"
              name="name"
              type="text"
              required
              maxLength={MAX_NAME_LENGTH}
              autoComplete="off"
            />
            <label htmlFor="rule-kind">Alert on</label>
            <select id="rule-kind" name="kind" defaultValue="new_issue">
              <option value="new_issue">A new issue</option>
              <option value="regression">A regression (a resolved issue comes back)</option>
              <option value="spike">A spike of events</option>
            </select>
            <label htmlFor="rule-window">Window in minutes (one notification per issue per window)</label>
            <input id="rule-window" name="windowMinutes" type="number" min={5} max={1440} defaultValue={60} />
            <label htmlFor="rule-count">Spike: at least this many events in the window</label>
            <input id="rule-count" name="spikeCount" type="number" min={1} />
            <label htmlFor="rule-factor">
              Spike: more than this many times the issue's usual hourly rate
            </label>
            <input id="rule-factor" name="spikeFactor" type="number" min={1} step="0.1" />
            <label htmlFor="rule-env">Only environment (empty: any)</label>
            <input
              id="rule-env"
              name="environment"
              type="text"
              maxLength={MAX_ALERT_FILTER_LENGTH}
              autoComplete="off"
            />
            <label htmlFor="rule-service">Only service (empty: any)</label>
            <input
              id="rule-service"
              name="service"
              type="text"
              maxLength={MAX_ALERT_FILTER_LENGTH}
              autoComplete="off"
            />
            <fieldset>
              <legend>Channels</legend>
              {d.channels.map((c) => (
                <label key={c.id} className="checkbox">
                  <input type="checkbox" name="channelIds" value={c.id} /> {c.name}
                </label>
              ))}
            </fieldset>
            <label className="checkbox">
              <input type="checkbox" name="digest" /> Also send a digest of every issue that fired each minute
            </label>
            <div className="field-row">
              <button type="submit" className="button primary" disabled={busy}>
                Add rule
              </button>
            </div>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Recent deliveries</h2>
        {d.deliveries.length === 0 ? (
          <p className="muted">Nothing sent yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="settings-table" data-testid="deliveries">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">What</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {d.deliveries.map((x) => (
                  <tr key={x.id} data-status={x.status}>
                    <td data-label="When" className="small">
                      <RelativeTime iso={x.createdAt} now={d.now} />
                    </td>
                    <td data-label="What">
                      {x.issueId ? (
                        <Link to={`/issues/${encodeURIComponent(x.issueId)}`}>{x.title ?? "issue"}</Link>
                      ) : (
                        (x.title ?? x.kind)
                      )}
                      {x.rule ? <span className="muted small"> · {x.rule}</span> : null}
                    </td>
                    <td data-label="Channel">{x.channel ?? "(deleted)"}</td>
                    <td data-label="Status">{x.status}</td>
                    <td data-label="Attempts">{x.attempts}</td>
                    <td data-label="Last error" className="small">
                      {x.lastError ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
