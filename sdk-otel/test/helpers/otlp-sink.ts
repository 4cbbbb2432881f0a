import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** One request as the sink received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  authorization: string | undefined;
  /** Body bytes as sent (gzip-compressed when contentEncoding is gzip). */
  body: Buffer;
}

export interface OtlpSink {
  /** Base endpoint, e.g. http://127.0.0.1:43123 */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A stand-in OTLP/HTTP receiver on 127.0.0.1 (random port) that records every request and answers 200,
 * or, with `hang`, never answers (a collector that accepts connections but is stuck).
 */
export async function startOtlpSink(options: { hang?: boolean } = {}): Promise<OtlpSink> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      contentType: req.headers["content-type"],
      contentEncoding: req.headers["content-encoding"],
      authorization: req.headers.authorization,
      body,
    });
    if (options.hang) return;
    // An empty protobuf message is a valid Export*ServiceResponse.
    res.writeHead(200, { "content-type": "application/x-protobuf" });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Decompressed body of a recorded request. */
export function payload(request: RecordedRequest): Buffer {
  return request.contentEncoding === "gzip" ? gunzipSync(request.body) : request.body;
}

/** All decompressed bodies received on `path`, concatenated (for byte-level `includes` checks). */
export function payloadsAt(sink: OtlpSink, path: "/v1/traces" | "/v1/logs"): Buffer {
  return Buffer.concat(sink.requests.filter((r) => r.path === path).map(payload));
}
