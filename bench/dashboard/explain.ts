/**
 * Where a page's time goes in Postgres: the statements one page load sends (captured by
 * web-server.ts's query-logging pool), each run again under EXPLAIN (ANALYZE, BUFFERS) with the
 * same parameters on a connection of the benchmark's own, best of three (warm). Statements that
 * are not plain reads (INSERT/UPDATE/DELETE, locking reads) are listed but not executed again.
 */
import postgres from "postgres";
import type { WebChild } from "./web";
import { FETCH_TIMEOUT_MS } from "./web";

export interface QueryCost {
  /** The statement, whitespace collapsed. */
  query: string;
  params: unknown[];
  /** Executed again under EXPLAIN ANALYZE (false for writes and locking reads). */
  explained: boolean;
  executionMs: number | null;
  planningMs: number | null;
  /** The plan's top node and the rows it returned, e.g. "Limit (21 rows)". */
  top: string | null;
  /** Shared buffers hit + read by the whole plan. */
  buffers: number | null;
  /** EXPLAIN (ANALYZE, BUFFERS) in text form. */
  plan: string | null;
}

export interface PageQueries {
  id: string;
  path: string;
  queries: QueryCost[];
  /** Sum of the executed statements' execution times (they may run concurrently in a loader). */
  totalExecutionMs: number;
}

interface Captured {
  query: string;
  params: unknown[];
}

function capturedSince(output: string): Captured[] {
  const out: Captured[] = [];
  for (const line of output.split("\n")) {
    const at = line.indexOf("[query] ");
    if (at < 0) continue;
    try {
      out.push(JSON.parse(line.slice(at + "[query] ".length)) as Captured);
    } catch {
      // a line cut by the pipe; ignore
    }
  }
  return out;
}

const isPlainRead = (q: string) =>
  /^\s*(select|with)\b/i.test(q) &&
  !/\bfor\s+(no\s+key\s+)?(update|share)\b/i.test(q) &&
  !/\b(insert|update|delete)\b\s/i.test(q.replace(/'[^']*'/g, ""));

interface PlanNode {
  "Node Type": string;
  "Actual Rows"?: number;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
}

export async function explainPages(
  web: WebChild,
  databaseUrl: string,
  cookie: string,
  pages: Array<{ id: string; path: string }>,
): Promise<PageQueries[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { TimeZone: "UTC" } });
  const get = async (path: string) => {
    const res = await fetch(`${web.base}${path}`, {
      headers: { cookie },
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  };
  try {
    const out: PageQueries[] = [];
    for (const page of pages) {
      await get(page.path);
      const before = web.proc.output().length;
      await get(page.path);
      await new Promise((r) => setTimeout(r, 100)); // the child's stderr reaches us
      const queries: QueryCost[] = [];
      for (const c of capturedSince(web.proc.output().slice(before))) {
        const query = c.query.replace(/\s+/g, " ").trim();
        if (!isPlainRead(query)) {
          queries.push({
            query,
            params: c.params,
            explained: false,
            executionMs: null,
            planningMs: null,
            top: null,
            buffers: null,
            plan: null,
          });
          continue;
        }
        let best: { exec: number; plan: number; json: PlanNode; buffers: number } | null = null;
        for (let i = 0; i < 3; i++) {
          const [row] = await sql.unsafe(
            `explain (analyze, buffers, format json) ${c.query}`,
            c.params as postgres.SerializableParameter[],
          );
          const doc = (row as Record<string, unknown>)["QUERY PLAN"] as Array<{
            Plan: PlanNode;
            "Execution Time": number;
            "Planning Time": number;
          }>;
          const d = doc[0]!;
          const buffers = (d.Plan["Shared Hit Blocks"] ?? 0) + (d.Plan["Shared Read Blocks"] ?? 0);
          if (!best || d["Execution Time"] < best.exec)
            best = { exec: d["Execution Time"], plan: d["Planning Time"], json: d.Plan, buffers };
        }
        const text = await sql.unsafe(
          `explain (analyze, buffers) ${c.query}`,
          c.params as postgres.SerializableParameter[],
        );
        queries.push({
          query,
          params: c.params,
          explained: true,
          executionMs: +best!.exec.toFixed(3),
          planningMs: +best!.plan.toFixed(3),
          top: `${best!.json["Node Type"]} (${best!.json["Actual Rows"] ?? 0} rows)`,
          buffers: best!.buffers,
          plan: text.map((r) => (r as Record<string, string>)["QUERY PLAN"]).join("\n"),
        });
      }
      out.push({
        id: page.id,
        path: page.path,
        queries,
        totalExecutionMs: +queries.reduce((a, q) => a + (q.executionMs ?? 0), 0).toFixed(3),
      });
    }
    return out;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
