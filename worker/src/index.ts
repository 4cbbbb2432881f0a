export type { AlertsConfig } from "./alerts/config";
export {
  type AlertCandidates,
  type AlertDeps,
  evaluateAlerts,
  isSpike,
  issueUrl,
  MAX_INDIVIDUAL_ALERTS_PER_DIGEST_WINDOW,
} from "./alerts/evaluate";
export { createInProcessAlerts, type InProcessAlertQueue } from "./alerts/in-process-queue";
export { runAlertJob } from "./alerts/jobs";
export {
  type BullmqAlertQueue,
  createBullmqAlertQueue,
  type RunningBullmqAlerts,
  startBullmqAlerts,
} from "./alerts/queue";
export { escapeSlack, renderEmail, renderSlack, renderWebhook } from "./alerts/render";
export { AlertDeliveryError, type AlertSender, createAlertSender } from "./alerts/send";
export { SIGNATURE_HEADER, signWebhook, verifyWebhookSignature } from "./alerts/signature";
export { type AlertSweep, startAlertSweep } from "./alerts/sweep";
export {
  loadAlertsConfig,
  loadLlmConfig,
  loadScrubConfig,
  loadStorageConfig,
  loadWorkerConfig,
  type WorkerConfig,
} from "./config";
export { type RunningWorker, startWorker, type WorkerDeps } from "./consumer";
export { loadReportsConfig, type ReportsConfig } from "./evidence/config";
export {
  type EvidenceReportDeps,
  failEvidenceReport,
  generateEvidenceReport,
  scheduleMonthlyReports,
} from "./evidence/generate-report";
export {
  createBullmqReportQueue,
  type RunningReports,
  startBullmqReports,
  startInProcessReports,
} from "./evidence/runner";
export {
  createLocalReportStorage,
  createReportStorage,
  type ReportStorage,
} from "./evidence/storage";
export {
  computeFingerprint,
  culprit,
  FINGERPRINT_VERSION,
  type FingerprintInput,
  issueTitle,
  maskMessage,
} from "./fingerprint";
export {
  InvalidJobError,
  type ProcessBatchDeps,
  type ProcessBatchResult,
  prepareEvent,
  processBatch,
} from "./process-batch";
export { type RetentionTimer, startRetention } from "./retention";
export {
  createScrubber,
  defaultScrubber,
  SCRUB_RULES,
  type Scrubber,
  type ScrubOptions,
  type ScrubRule,
  scrubAttributes,
  scrubText,
} from "./scrub";
export { type ScrubConfig, scrubberFrom } from "./scrub-config";
export {
  detectStackLanguage,
  type InAppOptions,
  languageFromSdk,
  MAX_FRAMES,
  MAX_IN_APP_PATTERN_CHARS,
  MAX_IN_APP_PATTERNS,
  parseStack,
  type StackFrame,
} from "./stack/index";
export type { StorageConfig } from "./storage-config";
export { type HeuristicInput, heuristicSummary, type SummaryText } from "./summarise/heuristic";
export {
  createInProcessSummaries,
  createInProcessSummaryQueue,
  type InProcessSummaryQueue,
} from "./summarise/in-process-queue";
export {
  createLlmClient,
  LlmCallError,
  type LlmClient,
  type LlmConfig,
  type Summariser,
} from "./summarise/llm";
export { buildPrompt, promptDigest } from "./summarise/prompt";
export {
  createBullmqSummaryQueue,
  type RunningBullmqSummaries,
  type RunningSummaryWorker,
  startBullmqSummaries,
  startSummaryWorker,
} from "./summarise/queue";
export { type LlmSummary, parseReply } from "./summarise/reply";
export { type IssueToSummarise, summariseIssues } from "./summarise/summarise-issues";
export { runSummaryJob, type SummaryJobOutcome } from "./summarise/summary-job";
