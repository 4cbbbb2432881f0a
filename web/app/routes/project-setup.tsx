import type { HeadersFunction, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Fragment, useMemo } from "react";
import { CopyButton } from "../components/copy-button";
import { RelativeTime } from "../components/relative-time";
import { requireUser } from "../services/auth.server";
import { loadProjectSetup } from "../services/setup.server";
import setupStylesHref from "../styles/setup.css?url";
import { INGEST_KEY_PLACEHOLDER, type SetupGuide, setupGuides } from "../utils/setup-snippets";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: setupStylesHref }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Setup · ${data.project.name} · CodeWarden` : "CodeWarden" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = await requireUser(request, context);
  const data = await loadProjectSetup(context, user, params.slug, request);
  // The page may carry the bootstrap ingest key: keep it out of every cache.
  return json(data, { headers: { "Cache-Control": "private, no-store" } });
}

export const headers: HeadersFunction = ({ loaderHeaders }) => ({
  "Cache-Control": loaderHeaders.get("Cache-Control") ?? "private, no-store",
});

/** Text with `code` spans (our own static strings; rendered as text nodes, never HTML). */
function RichText({ text }: { text: string }) {
  return (
    <>
      {text.split("`").map((part, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of a fixed string never reorder
        i % 2 === 1 ? <code key={i}>{part}</code> : <Fragment key={i}>{part}</Fragment>,
      )}
    </>
  );
}

function Guide({ guide }: { guide: SetupGuide }) {
  return (
    <section className="card setup-guide" id={guide.id} aria-labelledby={`${guide.id}-title`}>
      <h2 id={`${guide.id}-title`}>{guide.title}</h2>
      <p>
        <RichText text={guide.intro} />
      </p>
      {guide.snippets.map((s) => (
        <figure key={s.id} className="snippet" data-snippet={s.id}>
          <figcaption>
            <span>{s.label}</span>
            <CopyButton text={s.code} targetId={`${s.id}-code`} label={`${guide.title}: ${s.label}`} />
          </figcaption>
          <pre>
            <code id={`${s.id}-code`} className={`language-${s.language}`}>
              {s.code}
            </code>
          </pre>
        </figure>
      ))}
      {guide.notes.length > 0 ? (
        <ul className="setup-notes">
          {guide.notes.map((note) => (
            <li key={note}>
              <RichText text={note} />
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

export default function ProjectSetup() {
  const d = useLoaderData<typeof loader>();
  const guides = useMemo(
    () =>
      setupGuides({
        endpoint: d.endpoint,
        ingestKey: d.ingestKey ?? INGEST_KEY_PLACEHOLDER,
        serviceName: d.form.service,
        environment: d.form.environment,
        release: d.form.release,
      }),
    [d],
  );
  return (
    <div className="setup">
      <div className="page-head">
        <h1>Set up {d.project.name}</h1>
        <span className="muted">Send errors with OpenTelemetry</span>
      </div>

      <section className="card setup-facts" aria-label="Connection">
        <dl>
          <dt>OTLP endpoint</dt>
          <dd>
            <code className="setup-endpoint">{d.endpoint}</code>
            <p className="muted small">
              OTLP/HTTP, protobuf or JSON. SDKs append <code>/v1/traces</code> and <code>/v1/logs</code>.
            </p>
          </dd>
          <dt>Ingest key</dt>
          <dd>
            {d.ingestKey ? (
              <>
                <code className="setup-key">{d.ingestKey}</code>
                <p className="muted small">
                  The bootstrap key from <code>CODEWARDEN_BOOTSTRAP_INGEST_KEY</code>; the snippets below use
                  it. Treat it like a password.
                </p>
              </>
            ) : d.keys.length > 0 ? (
              <>
                <ul className="setup-key-hints">
                  {d.keys.map((k) => (
                    <li key={`${k.hint}-${k.createdAt}`}>
                      <code>{`${k.hint}…`}</code> <span className="muted">{k.name}</span>{" "}
                      <span className="muted small">
                        {k.lastUsedAt ? (
                          <>
                            last used <RelativeTime iso={k.lastUsedAt} now={d.now} />
                          </>
                        ) : (
                          "never used"
                        )}
                      </span>
                    </li>
                  ))}
                </ul>
                <p className="muted small">
                  Only the start of a key is kept readable, so the snippets say{" "}
                  <code>{INGEST_KEY_PLACEHOLDER}</code>: replace it with your full key
                  {d.keysPath ? (
                    <>
                      , or <Link to={d.keysPath}>create a key</Link>
                    </>
                  ) : null}
                  .
                </p>
              </>
            ) : (
              <p>
                This project has no ingest key yet.{" "}
                {d.keysPath ? <Link to={d.keysPath}>Create a key</Link> : "Ask an owner for one"}, then
                replace <code>{INGEST_KEY_PLACEHOLDER}</code> in the snippets below.
              </p>
            )}
          </dd>
        </dl>
      </section>

      <Form method="get" className="card setup-form" aria-label="Describe your service">
        <label>
          Service name
          <input type="text" name="service" defaultValue={d.form.service} maxLength={100} required />
        </label>
        <label>
          Environment
          <input type="text" name="environment" defaultValue={d.form.environment} maxLength={100} required />
        </label>
        <label>
          Release
          <input type="text" name="release" defaultValue={d.form.release} maxLength={100} required />
        </label>
        <button type="submit" className="button">
          Update snippets
        </button>
      </Form>

      <nav className="setup-toc" aria-label="Setup guides">
        {guides.map((g) => (
          <a key={g.id} href={`#${g.id}`}>
            {g.title}
          </a>
        ))}
      </nav>

      {guides.map((g) => (
        <Guide key={g.id} guide={g} />
      ))}
    </div>
  );
}
