/**
 * The ingest benchmark's ceiling: a bare node:http server that reads each request body and
 * answers 200 with an empty body — what any HTTP receiver in Node must do at least.
 * Run in its own process by run.ts: PORT=<port> node --import tsx bench/ingest/baseline-server.ts
 */
import { createServer } from "node:http";

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error("PORT must be set");

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    Buffer.concat(chunks);
    res.writeHead(200, { "content-length": "0" });
    res.end();
  });
  req.on("error", () => res.destroy());
});

server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`baseline listening on 127.0.0.1:${port}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  // Keep-alive connections would hold close() open; cut them.
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
