import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";

/**
 * A dashboard page's error state, inside the signed-in layout (the top bar stays). `what` names
 * the missing thing for 404s; another organisation's objects are answered the same way.
 */
export function RouteError({ what, back }: { what: string; back: { to: string; label: string } }) {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const [title, detail] =
    status === 404
      ? ["Not found", `This ${what} does not exist, or you do not have access to it.`]
      : status === 400
        ? ["Bad request", "The address has a value the page does not understand. Start again from the list."]
        : status === 403
          ? ["Forbidden", "The request was refused. Reload the page and try again."]
          : [
              "Something went wrong",
              "The page could not be loaded. It has been logged; try again in a moment.",
            ];
  return (
    <section className="card route-error" role="alert">
      <p className="muted">{status}</p>
      <h1>{title}</h1>
      <p>{detail}</p>
      <p>
        <Link to={back.to}>{back.label}</Link>
      </p>
    </section>
  );
}
