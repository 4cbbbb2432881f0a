import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DiagLogger, diag } from "@opentelemetry/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExportThread } from "../src/off-thread-export.js";
import type { SenderConfig } from "../src/otlp-sender.js";
import { ensureBuilt } from "./helpers/ensure-built.js";
import { type OtlpSink, payload, startOtlpSink } from "./helpers/otlp-sink.js";

const PACKAGE_DIR = fileURLToPath(new URL("../", import.meta.url));
const WORKERS = join(PACKAGE_DIR, "test", "fixtures", "export-workers");
const BUILT_WORKER = join(PACKAGE_DIR, "dist", "esm", "export-worker.js");
const BODY = new Uint8Array([0x0a, 0x03, 0x61, 0x62, 0x63]);

let sink: OtlpSink;
let warnings: string[];

beforeEach(async () => {
  sink = await startOtlpSink();
  warnings = [];
  const logger: DiagLogger = {
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger);
});

afterEach(async () => {
  diag.disable();
  await sink.close();
});

function logsConfig(compression: "gzip" | "none" = "none"): SenderConfig {
  return {
    url: `${sink.url}/v1/logs`,
    headers: { authorization: "Bearer k" },
    timeoutMillis: 5_000,
    compression,
  };
}

/** The logs transport of a new ExportThread that runs `file` as its thread. */
function logsTransport(file: string, config: SenderConfig = logsConfig()) {
  return new ExportThread({ configs: { logs: config } }, file).transport("logs");
}

describe("ExportThread", () => {
  it("sends through the built export thread: the bytes arrive as given, gzip and headers applied", async () => {
    ensureBuilt();
    const transport = logsTransport(BUILT_WORKER, logsConfig("gzip"));
    const response = await transport.send(BODY, 5_000);
    expect(response.status).toBe("success");
    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request?.contentEncoding).toBe("gzip");
    expect(request?.authorization).toBe("Bearer k");
    expect(new Uint8Array(payload(request!))).toEqual(BODY);
    transport.shutdown();
    expect(warnings).toEqual([]);
  });

  it("answers the collector's refusal (400) as a failure, with its status", async () => {
    ensureBuilt();
    const refusing = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(400).end("no"));
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = refusing.address() as AddressInfo;
      const config = { ...logsConfig(), url: `http://127.0.0.1:${port}/v1/logs` };
      const transport = logsTransport(BUILT_WORKER, config);
      const response = await transport.send(BODY, 5_000);
      expect(response.status).toBe("failure");
      const error =
        response.status === "failure"
          ? (response.error as Error & { code?: number; data?: string })
          : undefined;
      expect(error?.code).toBe(400);
      expect(error?.data).toBe("no");
      transport.shutdown();
    } finally {
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it("sends in-process what a thread that died had not answered, and warns once", async () => {
    const transport = logsTransport(join(WORKERS, "exits-on-first-message.mjs"));
    expect((await transport.send(BODY, 5_000)).status).toBe("success");
    expect((await transport.send(BODY, 5_000)).status).toBe("success");
    expect(sink.requests).toHaveLength(2);
    expect(new Uint8Array(payload(sink.requests[0]!))).toEqual(BODY);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("the export thread exited (code 3)");
    transport.shutdown();
  });

  it("exports in-process when the thread cannot start", async () => {
    const transport = logsTransport(join(WORKERS, "throws-on-load.mjs"));
    expect((await transport.send(BODY, 5_000)).status).toBe("success");
    expect(sink.requests).toHaveLength(1);
    expect(warnings.join("\n")).toContain("export thread broken on load");
    transport.shutdown();
  });
});
