import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AlertDeliveries } from "../components/alert-deliveries";
import { ChannelFields, EditForm, RuleFields } from "../components/alert-forms";
import { CsrfInput } from "../components/csrf-input";
import { ActionNotice, ConfirmForm, PostButton, SecretOnce } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { type AlertsActionData, loadProjectAlerts, projectAlertsAction } from "../services/alerts.server";
import { requireUser, requireUserForm } from "../services/auth.server";
import { orgPath } from "../utils/settings-paths";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Alerts · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

/** A generated webhook secret is shown once, in an action's response: never cached. */
export const headers: HeadersFunction = () => ({ "Cache-Control": "no-store" });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadProjectAlerts(context, user, params.org, params.project, new URL(request.url));
}

/**
 * Owners add, edit and delete channels and rules, send test messages and retry dead deliveries
 * (CSRF; audit-logged).
 */
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
  // Only channel answers carry it: a webhook saved without a secret got one (other answers are notices).
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
                          <PostButton
                            csrf={csrf}
                            fields={{ intent: "test-channel", channelId: c.id }}
                            label={`Send test to ${c.name}`}
                            disabled={busy}
                          >
                            Send test
                          </PostButton>
                          <EditForm
                            key={JSON.stringify(c)}
                            csrf={csrf}
                            summaryLabel={`Edit channel ${c.name}`}
                            fields={{ intent: "update-channel", channelId: c.id }}
                            submit="Save channel"
                            busy={busy}
                          >
                            <ChannelFields idPrefix={`channel-${c.id}`} channel={c} />
                          </EditForm>
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
            <ChannelFields idPrefix="channel" />
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
                          <PostButton
                            csrf={csrf}
                            fields={{
                              intent: "toggle-rule",
                              ruleId: r.id,
                              enabled: r.enabled ? "false" : "true",
                            }}
                            disabled={busy}
                          >
                            {r.enabled ? "Turn off" : "Turn on"}
                          </PostButton>
                          <EditForm
                            key={JSON.stringify(r)}
                            csrf={csrf}
                            summaryLabel={`Edit rule ${r.name}`}
                            fields={{ intent: "update-rule", ruleId: r.id }}
                            submit="Save rule"
                            busy={busy}
                          >
                            <RuleFields idPrefix={`rule-${r.id}`} channels={d.channels} rule={r} />
                          </EditForm>
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
            <RuleFields idPrefix="rule" channels={d.channels} />
            <div className="field-row">
              <button type="submit" className="button primary" disabled={busy}>
                Add rule
              </button>
            </div>
          </Form>
        ) : null}
      </section>

      <AlertDeliveries
        deliveries={d.deliveries}
        status={d.deliveryStatus}
        canManage={d.canManage}
        csrf={csrf}
        busy={busy}
        now={d.now}
      />
    </>
  );
}
