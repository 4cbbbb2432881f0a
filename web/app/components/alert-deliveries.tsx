import { Form, Link } from "@remix-run/react";
import { RelativeTime } from "./relative-time";
import { PostButton } from "./settings-ui";

/** The deliveries list's status filter (`?status=`), with the list's title for each. */
export const DELIVERY_FILTERS = [
  { value: "", label: "All recent deliveries", title: "Recent deliveries" },
  { value: "dead", label: "Failed (retries exhausted)", title: "Failed deliveries" },
  { value: "failed", label: "Failing, to be retried", title: "Deliveries being retried" },
  { value: "pending", label: "Pending", title: "Pending deliveries" },
  { value: "sent", label: "Sent", title: "Sent deliveries" },
] as const;

export interface DeliveryRow {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  lastError: string | null;
  /** Null when the channel was deleted since. */
  channel: string | null;
  rule: string | null;
  issueId: string | null;
  title: string | null;
  createdAt: string;
}

/**
 * A project's alert deliveries, newest first, filtered by status (a GET form: works without
 * JavaScript); owners can send a dead delivery again when its channel still exists.
 */
export function AlertDeliveries({
  deliveries,
  status,
  canManage,
  csrf,
  busy,
  now,
}: {
  deliveries: readonly DeliveryRow[];
  status: string | null;
  canManage: boolean;
  csrf: string;
  busy: boolean;
  now: string;
}) {
  const filter = DELIVERY_FILTERS.find((f) => f.value === (status ?? "")) ?? DELIVERY_FILTERS[0];
  const retryable = (x: DeliveryRow) => canManage && x.status === "dead" && x.channel !== null;
  const withActions = deliveries.some(retryable);
  return (
    <section className="card" aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">{filter.title}</h2>
      <Form method="get" className="field-row narrow-form" aria-label="Filter deliveries">
        <div className="field">
          <label htmlFor="deliveries-status">Show</label>
          <select id="deliveries-status" name="status" defaultValue={filter.value}>
            {DELIVERY_FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button">
          Show
        </button>
      </Form>
      {deliveries.length === 0 ? (
        <p className="muted">{status ? "No such deliveries." : "Nothing sent yet."}</p>
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
                {withActions ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {deliveries.map((x) => (
                <tr key={x.id} data-status={x.status}>
                  <td data-label="When" className="small">
                    <RelativeTime iso={x.createdAt} now={now} />
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
                  {withActions ? (
                    <td data-label="" className="actions-cell">
                      {retryable(x) ? (
                        <PostButton
                          csrf={csrf}
                          fields={{ intent: "retry-delivery", deliveryId: x.id }}
                          label={`Retry delivery to ${x.channel}`}
                          disabled={busy}
                          inline={false}
                        >
                          Retry
                        </PostButton>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
