/** Paths of the organisation settings pages. */
export const orgPath = (org: { slug: string }) => `/settings/orgs/${encodeURIComponent(org.slug)}`;

export const projectKeysPath = (org: { slug: string }, project: { slug: string }) =>
  `${orgPath(org)}/projects/${encodeURIComponent(project.slug)}/keys`;

export const projectGroupingPath = (org: { slug: string }, project: { slug: string }) =>
  `${orgPath(org)}/projects/${encodeURIComponent(project.slug)}/grouping`;

export const projectAlertsPath = (org: { slug: string }, project: { slug: string }) =>
  `${orgPath(org)}/projects/${encodeURIComponent(project.slug)}/alerts`;

export const evidencePath = (org: { slug: string }) => `${orgPath(org)}/evidence`;

export const evidenceDownloadPath = (org: { slug: string }, reportId: string) =>
  `${evidencePath(org)}/${encodeURIComponent(reportId)}/download`;
