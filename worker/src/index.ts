export { loadLlmConfig, loadWorkerConfig, type WorkerConfig } from "./config";
export { type RunningWorker, startWorker, type WorkerDeps } from "./consumer";
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
export { scrubAttributes, scrubText } from "./scrub";
export { detectStackLanguage, languageFromSdk, MAX_FRAMES, parseStack, type StackFrame } from "./stack/index";
export { type HeuristicInput, heuristicSummary, type SummaryText } from "./summarise/heuristic";
export {
  buildPrompt,
  createLlmSummariser,
  type LlmConfig,
  type LlmSummaryInput,
  parseReply,
  type Summariser,
} from "./summarise/llm";
export { type IssueToSummarise, MAX_LLM_CALLS_PER_JOB, summariseIssues } from "./summarise/summarise-issues";
