import type { UNSAFE_RouteConfig as RouteConfig } from "@remix-run/dev";

/** The route table (v3_routeConfig). Dashboard pages share the signed-in layout. */
export default [
  { path: "login", file: "routes/login.tsx" },
  { path: "auth/verify", file: "routes/auth-verify.tsx" },
  { path: "logout", file: "routes/logout.tsx" },
  {
    id: "dashboard",
    file: "routes/dashboard-layout.tsx",
    children: [
      { index: true, file: "routes/home.tsx" },
      { path: "projects/:slug/issues", file: "routes/project-issues.tsx" },
      { path: "issues/:id", file: "routes/issue-detail.tsx" },
    ],
  },
  // REST API (resource routes: JSON only).
  { path: "api/v1/projects", file: "routes/api/projects.ts" },
  { path: "api/v1/projects/:slug/issues", file: "routes/api/project-issues.ts" },
  { path: "api/v1/issues/:id", file: "routes/api/issue.ts" },
  { path: "api/v1/issues/:id/events", file: "routes/api/issue-events.ts" },
  { path: "api/*", file: "routes/api/not-found.ts" },
] satisfies RouteConfig;
