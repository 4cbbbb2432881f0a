/**
 * A control for bench/sdk/instructions.ts: every incoming request runs in AsyncLocalStorage.run and nothing
 * else — the context propagation any OpenTelemetry SDK for Node.js does, without the SDK. On Node.js 20 and
 * 22 that turns on async hooks for every async resource; on Node.js 24 it uses AsyncContextFrame.
 * Preloaded with `node --import ./bench/sdk/als-only.mjs bench/sdk/app.mjs`.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";

const storage = new AsyncLocalStorage();
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req) {
  // biome-ignore lint/complexity/noArguments: forwards the event's arguments as they are
  if (event !== "request") return Reflect.apply(emit, this, arguments);
  // biome-ignore lint/complexity/noArguments: the same, for the request event
  const args = arguments;
  return storage.run({ req }, () => Reflect.apply(emit, this, args));
};
