/**
 * The issue list's state as it lives in the URL (status tab, filters, search, sort, sparkline
 * period), shared by the loader that parses it and the components that build links from it.
 */

export const LIST_STATUSES = ["unresolved", "regressed", "resolved", "ignored", "all"] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

/** URL value → label; the data layer's names are mapped in the loader. */
export const LIST_SORTS = {
  last_seen: "Last seen",
  first_seen: "First seen",
  events: "Events",
  users: "Users",
} as const;
export type ListSort = keyof typeof LIST_SORTS;

/** Time range on last seen; `all` is no limit. */
export const LIST_PERIODS = {
  "24h": { label: "Last 24 hours", ms: 24 * 3_600_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "14d": { label: "Last 14 days", ms: 14 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
  all: { label: "Any time", ms: null },
} as const;
export type ListPeriod = keyof typeof LIST_PERIODS;

/** Sparkline span: 24 hourly bars or 14 daily bars. */
export const CHART_PERIODS = ["24h", "14d"] as const;
export type ChartPeriod = (typeof CHART_PERIODS)[number];

export interface ListState {
  status: ListStatus;
  sort: ListSort;
  period: ListPeriod;
  service: string;
  env: string;
  release: string;
  q: string;
  chart: ChartPeriod;
}

export const DEFAULT_LIST_STATE: ListState = {
  status: "unresolved",
  sort: "last_seen",
  period: "all",
  service: "",
  env: "",
  release: "",
  q: "",
  chart: "24h",
};

/** Order of the parameters in URLs (stable links, readable query strings). */
const KEYS: Array<keyof ListState> = ["status", "q", "service", "env", "release", "period", "sort", "chart"];

/**
 * `?…` for `state` with `overrides` applied, leaving out defaults and empty values, so the
 * plain list is just its path. A cursor is only kept when passed in `overrides`.
 */
export function listSearch(
  state: ListState,
  overrides: Partial<ListState> & { cursor?: string } = {},
): string {
  const next = { ...state, ...overrides };
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = next[key];
    if (value !== "" && value !== DEFAULT_LIST_STATE[key]) params.set(key, value);
  }
  if (overrides.cursor) params.set("cursor", overrides.cursor);
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** Whether any filter or search narrows the list (the tab counts are then of the matches). */
export function isFiltered(state: ListState): boolean {
  return Boolean(state.q || state.service || state.env || state.release || state.period !== "all");
}
