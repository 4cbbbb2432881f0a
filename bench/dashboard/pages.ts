/**
 * What to measure on the pages as they are when the benchmark runs: the issues list (default
 * tab), its second page (the cursor in its "next" link), and — only when the page honours them —
 * a search, a filter and a sort; the issue page of the hottest issue and of a tail issue.
 *
 * A URL parameter counts as honoured when the list answers 200 and shows other issues than
 * without it: a nonsense value gives no issue at all, or a value from the data set gives a
 * non-empty, different list. Names come from the page's own GET forms (inputs, selects and their
 * options) and from a short list of usual names.
 */
import postgres from "postgres";
import { FETCH_TIMEOUT_MS } from "./web";

export interface PagePaths {
  list: string;
  listPage2: string | null;
  search: { path: string; param: string; term: string } | null;
  filter: { path: string; param: string; value: string } | null;
  sort: { path: string; param: string; value: string } | null;
  issueHot: { path: string; id: string; events: number };
  issueTail: { path: string; id: string; events: number };
  /** How each optional variant was found, or why it was left out. */
  notes: string[];
}

const ISSUE_LINK = /href="\/issues\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})[^"]*"/g;
const NONSENSE = "zq-no-such-thing-7f3a";

function issueIds(html: string): Set<string> {
  return new Set([...html.matchAll(ISSUE_LINK)].map((m) => m[1]!));
}

const decode = (s: string) =>
  s.replaceAll("&amp;", "&").replaceAll("&#x27;", "'").replaceAll("&quot;", '"').replaceAll("&#39;", "'");

/** The href of the list's next-page link (`rel="next"`), else of any link carrying a cursor. */
function nextLink(html: string): string | null {
  for (const a of html.match(/<a\b[^>]*>/g) ?? []) {
    if (!/\brel="next"/.test(a)) continue;
    const href = /\bhref="([^"]+)"/.exec(a)?.[1];
    if (href) return decode(href);
  }
  const any = /href="([^"]*[?&](?:amp;)?cursor=[^"]+)"/.exec(html)?.[1];
  return any ? decode(any) : null;
}

interface FormField {
  name: string;
  kind: "search" | "text" | "select";
  options: string[];
}

/** Fields of the page's GET forms (Remix `<Form method="get">` renders `<form method="get">`). */
function getFormFields(html: string): FormField[] {
  const fields: FormField[] = [];
  for (const form of html.match(/<form\b[^>]*>[\s\S]*?<\/form>/g) ?? []) {
    const open = /<form\b[^>]*>/.exec(form)![0];
    if (/\bmethod="post"/i.test(open)) continue;
    for (const input of form.match(/<input\b[^>]*>/g) ?? []) {
      const name = /\bname="([^"]+)"/.exec(input)?.[1];
      const type = /\btype="([^"]+)"/.exec(input)?.[1] ?? "text";
      if (name && (type === "search" || type === "text")) fields.push({ name, kind: type, options: [] });
    }
    for (const select of form.match(/<select\b[^>]*>[\s\S]*?<\/select>/g) ?? []) {
      const name = /\bname="([^"]+)"/.exec(select)?.[1];
      if (!name) continue;
      const options = [...select.matchAll(/<option\b[^>]*value="([^"]*)"/g)].map((m) => decode(m[1]!));
      fields.push({ name, kind: "select", options });
    }
  }
  return fields;
}

type Get = (path: string) => Promise<{ status: number; html: string }>;

function pageGetter(base: string, cookie: string): Get {
  return async (path) => {
    const res = await fetch(`${base}${path}`, {
      headers: { cookie },
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    return { status: res.status, html: await res.text() };
  };
}

const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/**
 * Whether `param` changes the list: with `values` tried in turn, the first that yields 200 and a
 * non-empty list different from the default one; a nonsense value that empties the list also
 * confirms the parameter (then the first value with a non-empty list is used).
 */
async function honoured(
  get: Get,
  list: string,
  defaultIds: Set<string>,
  param: string,
  values: string[],
): Promise<string | null> {
  const url = (v: string) => `${list}${list.includes("?") ? "&" : "?"}${param}=${encodeURIComponent(v)}`;
  const nonsense = await get(url(NONSENSE));
  const emptied = nonsense.status === 200 && issueIds(nonsense.html).size === 0;
  for (const v of values) {
    const r = await get(url(v));
    if (r.status !== 200) continue;
    const ids = issueIds(r.html);
    if (ids.size > 0 && (emptied || !sameSet(ids, defaultIds))) return url(v);
  }
  return null;
}

export interface DataFacts {
  hot: { id: string; events: number };
  tail: { id: string; events: number };
  /** A word of some issues' titles (an exception type found in a minority of issues). */
  searchTerm: string;
  /** Values that select a minority of issues. */
  environment: string;
  service: string;
  release: string;
}

/** Facts of the seeded data the variants need (read from the database, not assumed). */
export async function dataFacts(databaseUrl: string, projectId: string): Promise<DataFacts> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [hot] = await sql<{ id: string; n: string }[]>`
      select id, event_count::text as n from issues where project_id = ${projectId}
      order by event_count desc, id limit 1`;
    // The tail: the least frequent issue on the default (unresolved) tab.
    const [tail] = await sql<{ id: string; n: string }[]>`
      select id, event_count::text as n from issues where project_id = ${projectId}
        and status in ('unresolved', 'regressed')
      order by event_count, id limit 1`;
    const [type] = await sql<{ t: string }[]>`
      select exception_type as t from issues where project_id = ${projectId}
      group by 1 order by abs(count(*) - (select count(*) * 0.05 from issues where project_id = ${projectId})), 1 limit 1`;
    const rare = async (column: "environments" | "services") =>
      (
        await sql.unsafe<{ v: string }[]>(
          `select v from issues, unnest(${column}) v where project_id = $1 group by v order by count(*), v limit 1`,
          [projectId],
        )
      )[0]?.v ?? "";
    const [release] = await sql<{ v: string }[]>`
      select last_release as v from issues where project_id = ${projectId} and last_release is not null
      group by 1 order by count(*) desc, 1 limit 1`;
    if (!hot || !tail) throw new Error("the database has no issues");
    return {
      hot: { id: hot.id, events: Number(hot.n) },
      tail: { id: tail.id, events: Number(tail.n) },
      searchTerm: (type?.t ?? "Error").split(".").pop()!,
      environment: await rare("environments"),
      service: await rare("services"),
      release: release?.v ?? "",
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const SEARCH_NAMES = ["q", "query", "search"];
const FILTER_NAMES = ["environment", "env", "service", "release"];
const SORT_NAMES = ["sort", "order", "orderBy"];
const SORT_VALUES = ["events", "eventCount", "count", "frequency", "users", "firstSeen"];

export async function discoverPages(
  base: string,
  cookie: string,
  projectSlug: string,
  facts: DataFacts,
): Promise<PagePaths> {
  const get = pageGetter(base, cookie);
  const list = `/projects/${encodeURIComponent(projectSlug)}/issues`;
  const notes: string[] = [];
  const first = await get(list);
  if (first.status !== 200) throw new Error(`GET ${list} answered ${first.status}; not signed in?`);
  const defaultIds = issueIds(first.html);
  if (defaultIds.size === 0) throw new Error(`GET ${list} shows no issue links (href="/issues/<id>")`);

  const listPage2 = nextLink(first.html);
  notes.push(listPage2 ? `page 2: the list's next link (${listPage2})` : "page 2: no next link on the list");

  const fields = getFormFields(first.html);
  const named = (names: string[], kinds: FormField["kind"][]) => [
    ...fields.filter((f) => kinds.includes(f.kind) && !names.includes(f.name)).map((f) => f.name),
    ...names,
  ];

  let search: PagePaths["search"] = null;
  for (const param of named(SEARCH_NAMES, ["search", "text"])) {
    const path = await honoured(get, list, defaultIds, param, [facts.searchTerm]);
    if (path) {
      search = { path, param, term: facts.searchTerm };
      break;
    }
  }
  notes.push(
    search
      ? `search: ?${search.param}= is honoured (term "${search.term}")`
      : "search: no parameter honoured",
  );

  let filter: PagePaths["filter"] = null;
  const valueFor = (param: string): string[] => {
    const fromForm = fields.find((f) => f.name === param)?.options.filter((o) => o !== "") ?? [];
    const fromData = /env/i.test(param)
      ? [facts.environment]
      : /service/i.test(param)
        ? [facts.service]
        : /release|version/i.test(param)
          ? [facts.release]
          : [];
    return [...new Set([...fromData, ...fromForm])].filter((v) => v !== "");
  };
  const filterNames = [
    ...FILTER_NAMES,
    ...fields
      .filter((f) => f.kind === "select" && !/status|sort|order|cursor/i.test(f.name))
      .map((f) => f.name),
  ];
  for (const param of [...new Set(filterNames)]) {
    const values = valueFor(param);
    if (values.length === 0) continue;
    const path = await honoured(get, list, defaultIds, param, values);
    if (path) {
      filter = { path, param, value: decodeURIComponent(path.slice(path.lastIndexOf("=") + 1)) };
      break;
    }
  }
  notes.push(
    filter ? `filter: ?${filter.param}=${filter.value} is honoured` : "filter: no filter parameter honoured",
  );

  let sort: PagePaths["sort"] = null;
  const sortField = fields.find((f) => SORT_NAMES.includes(f.name));
  const sortValues = sortField ? sortField.options.filter((o) => o !== "") : SORT_VALUES;
  for (const param of sortField ? [sortField.name] : SORT_NAMES) {
    // The default order is the first option; the others are tried, by event count first.
    for (const value of [...sortValues].sort(
      (a, b) => Number(/event|count|freq/i.test(b)) - Number(/event|count|freq/i.test(a)),
    )) {
      const url = `${list}?${param}=${encodeURIComponent(value)}`;
      const r = await get(url);
      const ids = issueIds(r.html);
      if (r.status === 200 && ids.size > 0 && !sameSet(ids, defaultIds)) {
        sort = { path: url, param, value };
        break;
      }
    }
    if (sort) break;
  }
  notes.push(sort ? `sort: ?${sort.param}=${sort.value} is honoured` : "sort: no sort parameter honoured");

  for (const [which, issue] of [
    ["hot", facts.hot],
    ["tail", facts.tail],
  ] as const) {
    const r = await get(`/issues/${issue.id}`);
    if (r.status !== 200) throw new Error(`GET /issues/${issue.id} (${which}) answered ${r.status}`);
  }
  return {
    list,
    listPage2,
    search,
    filter,
    sort,
    issueHot: { path: `/issues/${facts.hot.id}`, ...facts.hot },
    issueTail: { path: `/issues/${facts.tail.id}`, ...facts.tail },
    notes,
  };
}
