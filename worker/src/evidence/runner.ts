import {
  EVIDENCE_SCHEDULE_PATTERN,
  type EvidenceReportJob,
  evidenceReportJobSchema,
  JOB_EVIDENCE_REPORT,
  JOB_EVIDENCE_SCHEDULE,
  QUEUE_REPORTS,
  type ReportQueue,
} from "@codewarden/common";
import { listPendingEvidenceReportIds } from "@codewarden/drizzle";
import { type Job, Queue, UnrecoverableError, Worker } from "bullmq";
import { quietRedis, runWhenReady, withinMs } from "../bullmq";
import {
  type EvidenceReportDeps,
  failEvidenceReport,
  generateEvidenceReport,
  scheduleMonthlyReports,
  UnrecoverableReportError,
} from "./generate-report";

/** Attempts per report, and the first retry's delay (doubled each time). */
export const REPORT_ATTEMPTS = 3;
export const REPORT_BACKOFF_MS = 10_000;
/** An enqueue on BullMQ that takes longer is abandoned. */
const ENQUEUE_TIMEOUT_MS = 5_000;

export interface RunningReports {
  readonly queue: ReportQueue;
  close(): Promise<void>;
}

/**
 * All-in-one: reports are generated in this process, one at a time, with the same attempts as in
 * scale-out. Every `checkEveryMs` (and shortly after start) the monthly schedule runs — it makes a
 * report only where the month has none — and reports left pending by a stop are picked up again.
 */
export function startInProcessReports(
  deps: EvidenceReportDeps,
  opts: { checkEveryMs?: number; firstCheckMs?: number; backoffMs?: number } = {},
): RunningReports {
  const logger = deps.logger.child({ component: "reports" });
  const backoffMs = opts.backoffMs ?? REPORT_BACKOFF_MS;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();
  const queued = new Set<string>();
  // Backoff sleeps; close() wakes them (the attempt loop then stops), so close never waits them out.
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        sleepers.delete(t);
        resolve();
      }, ms);
      sleepers.set(t, resolve);
    });

  const run = async (reportId: string) => {
    for (let attempt = 1; attempt <= REPORT_ATTEMPTS && !closed; attempt++) {
      try {
        await generateEvidenceReport(deps, reportId);
        return;
      } catch (err) {
        const last = attempt === REPORT_ATTEMPTS || err instanceof UnrecoverableReportError;
        logger[last ? "error" : "warn"]({ err, reportId, attempt }, "evidence report failed");
        if (last) {
          await failEvidenceReport(deps.db, reportId, err).catch((e: unknown) =>
            logger.error({ err: e, reportId }, "could not record the failed report"),
          );
          return;
        }
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  };
  const enqueue = (reportId: string) => {
    if (queued.has(reportId)) return;
    queued.add(reportId);
    chain = chain
      .then(() => run(reportId))
      // One report's unexpected error must not stop the reports queued after it.
      .catch((err: unknown) => logger.error({ err, reportId }, "evidence report runner error"))
      .finally(() => queued.delete(reportId));
  };

  // The check in progress (close() waits for it: it uses the database the caller closes next).
  let checking: Promise<void> | null = null;
  const check = () => {
    if (closed || checking) return;
    checking = (async () => {
      try {
        for (const id of await scheduleMonthlyReports(deps)) enqueue(id);
        for (const id of await listPendingEvidenceReportIds(deps.db)) enqueue(id);
      } catch (err) {
        logger.error({ err }, "evidence report schedule failed");
      } finally {
        checking = null;
      }
    })();
  };
  const first = setTimeout(check, opts.firstCheckMs ?? 10_000);
  const every = setInterval(check, opts.checkEveryMs ?? 6 * 3600_000);
  first.unref();
  every.unref();

  return {
    queue: {
      async enqueue(reportId) {
        if (closed) throw new Error("the report runner is stopped");
        enqueue(reportId);
      },
    },
    async close() {
      closed = true;
      clearTimeout(first);
      clearInterval(every);
      for (const [t, wake] of sleepers) {
        clearTimeout(t);
        wake();
      }
      sleepers.clear();
      await checking;
      await chain;
    },
  };
}

function jobOptions(backoffMs: number) {
  return {
    attempts: REPORT_ATTEMPTS,
    backoff: { type: "exponential", delay: backoffMs },
    removeOnComplete: { count: 1000, age: 30 * 24 * 3600 },
    removeOnFail: { count: 1000, age: 30 * 24 * 3600 },
  };
}

/** Producer of report jobs on BullMQ (the web's "Generate" in scale-out). One job per report id. */
export function createBullmqReportQueue(
  config: { redisUrl: string; prefix: string; backoffMs?: number },
  logger: EvidenceReportDeps["logger"],
): ReportQueue & { close(): Promise<void>; readonly bullmq: Queue } {
  const connection = quietRedis(config.redisUrl, logger, "codewarden-reports-producer");
  const bullmq = new Queue(QUEUE_REPORTS, {
    connection,
    prefix: config.prefix,
    defaultJobOptions: jobOptions(config.backoffMs ?? REPORT_BACKOFF_MS),
  });
  bullmq.on("error", (err) => logger.debug({ err: { message: err.message } }, "bullmq queue error"));
  return {
    bullmq,
    async enqueue(reportId) {
      const data: EvidenceReportJob = { v: 1, reportId };
      // Bounded: with Redis down, the web's "Generate" answers instead of hanging (the report stays
      // pending, and is listed as such).
      await withinMs(
        bullmq.add(JOB_EVIDENCE_REPORT, data, { jobId: `evidence-${reportId}` }),
        ENQUEUE_TIMEOUT_MS,
        "enqueueing the report",
      );
    },
    async close() {
      await bullmq.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/**
 * Scale-out: a consumer of `QUEUE_REPORTS` (report jobs, and the monthly schedule's repeatable
 * job, registered here with BullMQ's job scheduler: one schedule however many workers start).
 * A report whose last attempt fails is recorded `failed`.
 */
export async function startBullmqReports(
  config: { redisUrl: string; prefix: string; backoffMs?: number },
  deps: EvidenceReportDeps,
): Promise<RunningReports> {
  const logger = deps.logger.child({ component: "reports" });
  const queue = createBullmqReportQueue(config, logger);
  const connection = quietRedis(config.redisUrl, logger, "codewarden-reports-worker");
  const processor = async (job: Job) => {
    if (job.name === JOB_EVIDENCE_SCHEDULE) {
      const created = await scheduleMonthlyReports(deps);
      for (const id of created) await queue.enqueue(id);
      return { created: created.length };
    }
    if (job.name !== JOB_EVIDENCE_REPORT)
      throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    const parsed = evidenceReportJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError("invalid evidence report job");
    try {
      return { outcome: await generateEvidenceReport(deps, parsed.data.reportId) };
    } catch (err) {
      if (err instanceof UnrecoverableReportError) throw new UnrecoverableError(err.message);
      throw err;
    }
  };
  const worker = new Worker(QUEUE_REPORTS, processor, {
    connection,
    prefix: config.prefix,
    concurrency: 1,
    autorun: false,
  });
  worker.on("error", (err) => logger.error({ err }, "report worker error"));
  worker.on("failed", (job, err) => {
    const final =
      err instanceof UnrecoverableError ||
      err.name === "UnrecoverableError" ||
      (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? REPORT_ATTEMPTS);
    logger[final ? "error" : "warn"]({ jobId: job?.id, err: err.message, final }, "report job failed");
    const reportId = (job?.data as { reportId?: unknown } | undefined)?.reportId;
    if (final && job?.name === JOB_EVIDENCE_REPORT && typeof reportId === "string")
      void failEvidenceReport(deps.db, reportId, err).catch((e: unknown) =>
        logger.error({ err: e, reportId }, "could not record the failed report"),
      );
  });
  try {
    await runWhenReady(worker, connection, logger, "report worker");
  } catch (err) {
    await queue.close().catch(() => {});
    throw err;
  }
  try {
    // Once Redis is known to answer (before, this would wait on it for ever).
    await queue.bullmq.upsertJobScheduler(
      JOB_EVIDENCE_SCHEDULE,
      { pattern: EVIDENCE_SCHEDULE_PATTERN, tz: "UTC" },
      {
        name: JOB_EVIDENCE_SCHEDULE,
        data: {},
        opts: { attempts: 3, backoff: { type: "exponential", delay: 60_000 } },
      },
    );
  } catch (err) {
    await worker.close(true).catch(() => {});
    connection.disconnect();
    await queue.close().catch(() => {});
    throw err;
  }
  return {
    queue,
    async close() {
      // The worker first: a running schedule job still enqueues its reports on the queue.
      await worker.close();
      await connection.quit().catch(() => connection.disconnect());
      await queue.close();
    },
  };
}
