import type { LinksFunction, MetaFunction } from "@remix-run/node";
import {
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  useRouteError,
} from "@remix-run/react";
import type { ReactNode } from "react";
import { useNonce } from "./components/nonce";
import stylesHref from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesHref },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "CodeWarden" }];

export function Layout({ children }: { children: ReactNode }) {
  const nonce = useNonce();
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const title =
    status === 404
      ? "Not found"
      : status === 403
        ? "Forbidden"
        : status === 400
          ? "Bad request"
          : "Something went wrong";
  const detail =
    status === 404
      ? "There is nothing here, or you do not have access to it."
      : status === 403
        ? "The request was refused. Reload the page and try again."
        : status === 400
          ? "The request was not understood."
          : "An unexpected error occurred. It has been logged.";
  return (
    <main className="centered">
      <div className="card narrow">
        <p className="muted">{status}</p>
        <h1>{title}</h1>
        <p>{detail}</p>
        <p>
          <Link to="/">Back to the dashboard</Link>
        </p>
      </div>
    </main>
  );
}
