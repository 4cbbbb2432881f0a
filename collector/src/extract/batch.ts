import { type ErrorBatchJob, type ErrorEvent, LIMITS } from "@codewarden/common";

/** Groups one request's errors into jobs of at most LIMITS.errorsPerJob errors each. */
export function toErrorBatchJobs(
  projectId: string,
  receivedAt: string,
  errors: ErrorEvent[],
): ErrorBatchJob[] {
  const jobs: ErrorBatchJob[] = [];
  for (let i = 0; i < errors.length; i += LIMITS.errorsPerJob) {
    jobs.push({ v: 1, projectId, receivedAt, errors: errors.slice(i, i + LIMITS.errorsPerJob) });
  }
  return jobs;
}
