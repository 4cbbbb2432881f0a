import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { CsrfInput } from "../components/csrf-input";
import { RelativeTime } from "../components/relative-time";
import { ActionNotice, ConfirmForm, PostButton } from "../components/settings-ui";
import { useShell } from "../components/use-shell";
import { requireUser, requireUserForm } from "../services/auth.server";
import { loadMembers, membersAction } from "../services/orgs.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Members · ${data.org.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  return loadMembers(context, user, params.org);
}

/** Invite, revoke an invitation, change a role, remove a member (owners); leave (anyone). */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, form } = await requireUserForm(request, context);
  return membersAction(context, user, params.org, form);
}

export default function OrgMembers() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const { csrf } = useShell();
  const busy = useNavigation().state === "submitting";
  const owner = d.role === "owner";
  const lastOwner = owner && d.owners === 1;
  return (
    <>
      <ActionNotice data={result} />
      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <div className="table-wrap">
          <table className="settings-table">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                {owner ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {d.members.map((m) => (
                <tr key={m.userId}>
                  <td data-label="Member" className="name-cell">
                    <span>
                      {m.email}
                      {m.name ? <span className="muted">{` (${m.name})`}</span> : null}
                      {m.userId === d.me ? <span className="muted"> · you</span> : null}
                    </span>
                  </td>
                  <td data-label="Role">
                    <span className="badge">{m.role === "owner" ? "Owner" : "Member"}</span>
                  </td>
                  <td data-label="Joined" className="small">
                    <RelativeTime iso={m.joinedAt} now={d.now} />
                  </td>
                  {owner ? (
                    <td data-label="" className="actions-cell">
                      <Form method="post" className="inline">
                        <CsrfInput token={csrf} />
                        <input type="hidden" name="intent" value="changeRole" />
                        <input type="hidden" name="userId" value={m.userId} />
                        <input type="hidden" name="role" value={m.role === "owner" ? "member" : "owner"} />
                        <button
                          type="submit"
                          className="button small"
                          disabled={busy}
                          aria-label={`${m.role === "owner" ? "Make member" : "Make owner"}: ${m.email}`}
                        >
                          {m.role === "owner" ? "Make member" : "Make owner"}
                        </button>
                      </Form>
                      {m.userId === d.me ? null : (
                        <ConfirmForm
                          csrf={csrf}
                          summary="Remove…"
                          summaryLabel={`Remove ${m.email}…`}
                          confirm={`Remove ${m.email}`}
                          fields={{ intent: "removeMember", userId: m.userId }}
                          warning="They lose access to the organisation's projects at once."
                        />
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {owner ? (
        <section className="card" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite a member</h2>
          <Form method="post" className="stack invite-form">
            <CsrfInput token={csrf} />
            <input type="hidden" name="intent" value="invite" />
            <div className="field-row">
              <div className="field">
                <label htmlFor="invite-email">Email</label>
                <input
                  id="invite-email"
                  name="email"
                  type="email"
                  required
                  autoComplete="off"
                  placeholder="colleague@example.com"
                />
              </div>
              <div className="field">
                <label htmlFor="invite-role">Role</label>
                <select id="invite-role" name="role" defaultValue="member">
                  <option value="member">Member: sees issues, triages them</option>
                  <option value="owner">Owner: also manages members, projects and keys</option>
                </select>
              </div>
              <button type="submit" className="button primary" disabled={busy}>
                Send invitation
              </button>
            </div>
            <p className="muted small">
              The invitation link works once and for 7 days. Opening it signs the person in as that address.
            </p>
          </Form>
          <h3>Pending invitations</h3>
          {d.invitations.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <div className="table-wrap">
              <table className="settings-table">
                <thead>
                  <tr>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Invited</th>
                    <th scope="col">Expires</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.invitations.map((i) => {
                    const expired = i.expiresAt <= d.now;
                    return (
                      <tr key={i.id}>
                        <td data-label="Email" className="name-cell">
                          {i.email}
                        </td>
                        <td data-label="Role">{i.role === "owner" ? "Owner" : "Member"}</td>
                        <td data-label="Invited" className="small">
                          <span>
                            <RelativeTime iso={i.createdAt} now={d.now} />
                            {i.invitedBy ? <span className="muted">{` by ${i.invitedBy}`}</span> : null}
                          </span>
                        </td>
                        <td data-label="Expires" className="small">
                          {expired ? (
                            <span className="badge badge-revoked">Expired</span>
                          ) : (
                            <RelativeTime iso={i.expiresAt} now={d.now} />
                          )}
                        </td>
                        <td data-label="" className="actions-cell">
                          <PostButton
                            csrf={csrf}
                            fields={{ intent: "invite", email: i.email, role: i.role }}
                            label={`Resend invitation to ${i.email}`}
                            disabled={busy}
                          >
                            Resend
                          </PostButton>
                          <PostButton
                            csrf={csrf}
                            fields={{ intent: "revokeInvitation", invitationId: i.id }}
                            label={`Revoke invitation to ${i.email}`}
                            disabled={busy}
                          >
                            Revoke
                          </PostButton>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}

      <section className="card" aria-labelledby="leave-title">
        <h2 id="leave-title">Leave {d.org.name}</h2>
        {lastOwner ? (
          <p className="muted">You are the only owner. Make someone else an owner before you leave.</p>
        ) : (
          <ConfirmForm
            csrf={csrf}
            summary="Leave organisation…"
            confirm={`Leave ${d.org.name}`}
            fields={{ intent: "leave" }}
            warning="You lose access to its projects until an owner invites you again."
          />
        )}
      </section>
    </>
  );
}
