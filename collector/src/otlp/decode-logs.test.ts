import { SeverityNumber } from "@opentelemetry/api-logs";
import { describe, expect, it } from "vitest";
import { jsonLogs, protobufLogs, RESOURCE_ATTRIBUTES, recordLogs, typicalLogs } from "../../test/otel-data";
import { decodeLogsJson } from "./decode-json";
import { decodeLogsProto } from "./decode-logs";
import { KvList } from "./model";

describe("log decoding against the official serializers", () => {
  it("decodes protobuf and JSON identically, keeping only records with exception attributes", async () => {
    const records = await recordLogs(typicalLogs);
    const proto = decodeLogsProto(protobufLogs(records));
    const json = decodeLogsJson(jsonLogs(records));
    expect(proto).toEqual(json);
    expect(proto.logRecordCount).toBe(2);
    expect(proto.candidates).toHaveLength(1);
    const { resource, record } = proto.candidates[0]!;
    const sdk = records[0]!;
    expect(Object.fromEntries(resource)).toMatchObject(RESOURCE_ATTRIBUTES);
    expect(record.index).toBe(0);
    expect(record.severityNumber).toBe(SeverityNumber.ERROR);
    expect(record.severityText).toBe("ERROR");
    expect(record.body).toBe("charge failed");
    expect(record.timeUnixNano).toBe(BigInt(sdk.hrTime[0]) * 1_000_000_000n + BigInt(sdk.hrTime[1]));
    expect(record.observedTimeUnixNano).toBeGreaterThan(0n);
    expect(Object.fromEntries(record.attributes)).toEqual(sdk.attributes);
  });

  it("takes trace context, event name and structured bodies", async () => {
    const records = await recordLogs((logger) =>
      logger.emit({
        eventName: "payment.failed",
        body: { reason: "declined", codes: [1, 2], nested: { ok: false } },
        attributes: { "exception.message": "declined" },
      }),
    );
    for (const decoded of [decodeLogsProto(protobufLogs(records)), decodeLogsJson(jsonLogs(records))]) {
      const rec = decoded.candidates[0]!.record;
      expect(rec.eventName).toBe("payment.failed");
      expect(rec.body).toBeInstanceOf(KvList);
      const body = rec.body as KvList;
      expect(body.entries.map(([k]) => k)).toEqual(["reason", "codes", "nested"]);
      expect(body.entries[1]![1]).toEqual([1, 2]);
    }
  });

  it("counts but does not decode ordinary records", async () => {
    const records = await recordLogs((logger) => {
      for (let i = 0; i < 100; i++)
        logger.emit({ body: `line ${i}`, attributes: { "exception.escaped": false } });
    });
    const decoded = decodeLogsProto(protobufLogs(records));
    expect(decoded.logRecordCount).toBe(100);
    expect(decoded.candidates).toEqual([]);
  });
});
