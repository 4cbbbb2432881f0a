import type { UNSAFE_RouteConfig as RouteConfig } from "@remix-run/dev";

/** The route table (v3_routeConfig). Dashboard pages share the signed-in layout. */
export default [
  { path: "login", file: "routes/login.tsx" },
  { path: "auth/verify", file: "routes/auth-verify.tsx" },
  { path: "logout", file: "routes/logout.tsx" },
  { path: "invite", file: "routes/invite.tsx" },
  {
    id: "dashboard",
    file: "routes/dashboard-layout.tsx",
    children: [
      { index: true, file: "routes/home.tsx" },
      { path: "projects/:slug/issues", file: "routes/project-issues.tsx" },
      { path: "projects/:slug/setup", file: "routes/project-setup.tsx" },
      { path: "issues/:id", file: "routes/issue-detail.tsx" },
      // Accounts and access.
      { path: "settings", file: "routes/settings-account.tsx" },
      {
        path: "settings/orgs/:org",
        file: "routes/settings-org-layout.tsx",
        children: [
          { index: true, file: "routes/settings-org-members.tsx" },
          { path: "projects", file: "routes/settings-org-projects.tsx" },
          { path: "projects/new", file: "routes/settings-project-new.tsx" },
          { path: "projects/:project/keys", file: "routes/settings-project-keys.tsx" },
          { path: "projects/:project/grouping", file: "routes/settings-project-grouping.tsx" },
          { path: "projects/:project/alerts", file: "routes/settings-project-alerts.tsx" },
          { path: "tokens", file: "routes/settings-org-tokens.tsx" },
          { path: "audit", file: "routes/settings-org-audit.tsx" },
          { path: "evidence", file: "routes/settings-org-evidence.tsx" },
        ],
      },
    ],
  },
  // Downloads (resource routes).
  { path: "settings/orgs/:org/audit.csv", file: "routes/settings-org-audit-csv.ts" },
  {
    path: "settings/orgs/:org/evidence/:reportId/download",
    file: "routes/settings-org-evidence-download.ts",
  },
  // REST API (resource routes: JSON only).
  { path: "api/v1/projects", file: "routes/api/projects.ts" },
  { path: "api/v1/projects/:slug/issues", file: "routes/api/project-issues.ts" },
  { path: "api/v1/issues/:id", file: "routes/api/issue.ts" },
  { path: "api/v1/issues/:id/events", file: "routes/api/issue-events.ts" },
  { path: "api/v1/openapi.json", file: "routes/api/openapi.ts" },
  { path: "api/*", file: "routes/api/not-found.ts" },
] satisfies RouteConfig;
