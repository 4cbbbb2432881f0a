import type { DestinationStream } from "pino";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};
const SKIP = new Set(["level", "time", "msg", "pid", "hostname", "service"]);

/** A pino destination that prints one readable line per record (the all-in-one mode's console). */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): DestinationStream {
  return {
    write(line: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        out.write(line);
        return;
      }
      const time = new Date(Number(rec.time) || Date.now()).toISOString().slice(11, 23);
      const level = LEVELS[Number(rec.level)] ?? String(rec.level);
      const service = rec.service ? `[${rec.service}] ` : "";
      const extras = Object.entries(rec)
        .filter(([k]) => !SKIP.has(k))
        .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(" ");
      out.write(`${time} ${level} ${service}${String(rec.msg ?? "")}${extras ? ` ${extras}` : ""}\n`);
    },
  };
}
