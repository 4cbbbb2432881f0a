import {
  getIssue,
  getIssueEventNavigation,
  issueCountSeries,
  issueTagBreakdown,
  listIssueEvents,
  STORED_COUNT_CAP,
} from "@codewarden/drizzle";
import type { AppLoadContext } from "@remix-run/node";
import { z } from "zod";
import { isUuid } from "../utils/ids";
import { CHART_PERIODS } from "../utils/list-params";
import { seriesWindow } from "../utils/series";
import { traceUrl } from "../utils/trace-url";
import type { SessionUser } from "./auth.server";
import { badRequestPage, notFoundPage } from "./dashboard.server";
import { searchParamsOf } from "./pagination.server";
import { eventJson, issueJson } from "./serialize.server";

/** Presenter of the issue page: the issue, one stored event with navigation, charts and tags. */

const RECENT_EVENTS = 10;
/** Stored events the tag breakdown reads (the most recent ones). */
const TAG_SAMPLE = 1000;

const issuePageQuery = z.object({
  event: z
    .string()
    .optional()
    .transform((v) => v || null),
  chart: z
    .enum(CHART_PERIODS)
    .or(z.literal(""))
    .optional()
    .transform((v) => v || "24h"),
});

export async function loadIssueDetail(
  context: AppLoadContext,
  user: SessionUser,
  id: string | undefined,
  request: Request,
) {
  if (!isUuid(id)) throw notFoundPage();
  const query = issuePageQuery.safeParse(searchParamsOf(request));
  if (!query.success) throw badRequestPage();
  const { event: eventId, chart } = query.data;
  if (eventId !== null && !isUuid(eventId)) throw notFoundPage();
  const { db } = context;
  const issue = await getIssue(db, { issueId: id, scope: { userId: user.userId } });
  if (!issue) throw notFoundPage();
  const now = new Date();
  const window = seriesWindow(chart, now);
  const [nav, recent, series, tags] = await Promise.all([
    getIssueEventNavigation(db, { issueId: issue.id, eventId: eventId?.toLowerCase() ?? null }),
    listIssueEvents(db, { issueId: issue.id, scope: { orgId: issue.orgId }, limit: RECENT_EVENTS }),
    issueCountSeries(db, { issueIds: [issue.id], window: { ...window, start: new Date(window.start) } }),
    issueTagBreakdown(db, { issueId: issue.id, sample: TAG_SAMPLE }),
  ]);
  // An event id that is not one of this issue's stored events (another issue's, expired, made up).
  if (eventId !== null && nav.event === null) throw notFoundPage();
  const ev = nav.event;
  return {
    issue: {
      ...issueJson(issue),
      resolvedAt: issue.resolvedAt?.toISOString() ?? null,
      summaryModel: issue.summary?.model ?? null,
    },
    project: { slug: issue.projectSlug, name: issue.projectName },
    event: ev
      ? {
          ...eventJson(ev),
          attributes: ev.attributes,
          resource: ev.resource,
          span: ev.span,
          source: ev.source,
          traceUrl: traceUrl(context.config.traceUrlTemplate, ev.traceId),
        }
      : null,
    nav: {
      newestId: nav.newestId,
      oldestId: nav.oldestId,
      newerId: nav.newerId,
      olderId: nav.olderId,
      storedCount: Math.min(nav.storedCount, STORED_COUNT_CAP),
      /** More events are stored than counted. */
      storedMore: nav.storedCount > STORED_COUNT_CAP,
    },
    occurrences: { chart, window, counts: series.get(issue.id) ?? [] },
    tags,
    tagSample: TAG_SAMPLE,
    recentEvents: recent.events.map((e) => ({
      id: e.id,
      timestamp: e.timestamp.toISOString(),
      serviceName: e.serviceName,
      serviceVersion: e.serviceVersion,
      environment: e.environment,
      message: e.message,
      traceId: e.traceId,
    })),
    now: now.toISOString(),
  };
}
