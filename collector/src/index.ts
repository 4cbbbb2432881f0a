export { type CollectorConfig, loadCollectorConfig } from "./config";
export { createKeyResolver, ingestKeyFromHeaders, type KeyResolver, type KeyResolverOptions } from "./keys";
export { CollectorMetrics } from "./metrics";
export { DecodeError } from "./otlp/wire";
export { type ExportResult, MAX_ERRORS_PER_REQUEST, processExport } from "./process-export";
export {
  type BullmqErrorQueue,
  type BullmqErrorQueueOptions,
  createBullmqErrorQueue,
  ERROR_JOB_OPTIONS,
} from "./queue/bullmq";
export {
  createInProcessErrorQueue,
  type InProcessErrorQueue,
  type InProcessQueueOptions,
} from "./queue/in-process";
export {
  type CollectorDeps,
  type CollectorOptions,
  type RunningCollector,
  startCollector,
} from "./server";
