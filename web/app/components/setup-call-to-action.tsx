import { Link } from "@remix-run/react";

/**
 * For a project's empty issue list: where to go to send the first errors. Uses only the dashboard's
 * shared styles (`card empty`, `button primary`).
 */
export function SetupCallToAction({ slug }: { slug: string }) {
  return (
    <div className="card empty setup-cta">
      <p>No errors yet. Point an OpenTelemetry SDK or Collector at CodeWarden and they will show up here.</p>
      <p>
        <Link to={`/projects/${encodeURIComponent(slug)}/setup`} className="button primary">
          Set up this project
        </Link>
      </p>
    </div>
  );
}
