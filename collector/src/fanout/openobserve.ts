import type pino from "pino";
import type { OpenObserveConfig } from "../config";
import { createForwarder, type Fanout, type ForwarderOptions } from "./forwarder";

/** Buffer, concurrency and timeout of the forwarder (tests shrink them). */
export type FanoutTuning = Pick<
  ForwarderOptions,
  "maxQueueBytes" | "maxQueueRequests" | "concurrency" | "timeoutMs" | "closeDeadlineMs"
>;

/**
 * Raw telemetry to OpenObserve: every accepted request goes, as received, to OpenObserve's
 * OTLP/HTTP endpoints `${url}/api/${org}/v1/{traces,logs,metrics}` (OpenObserve's docs:
 * ingestion/logs/otlp), with Basic credentials when configured.
 */
export function createOpenObserveFanout(
  config: OpenObserveConfig,
  deps: { logger: pino.Logger; onResult: ForwarderOptions["onResult"] },
  tuning: FanoutTuning = {},
): Fanout {
  const base = `${config.url.replace(/\/+$/, "")}/api/${encodeURIComponent(config.org)}/v1/`;
  return createForwarder({
    ...tuning,
    endpoint: (signal) => base + signal,
    headers: config.authorization ? { authorization: config.authorization } : {},
    onResult: deps.onResult,
    logger: deps.logger.child({ fanout: "openobserve" }),
  });
}
