/**
 * Locates the item frames (spans, log records, metrics) of an Export*ServiceRequest, so tests
 * can corrupt one item's bytes while keeping every length prefix intact. Walks the three
 * envelope levels with protobufjs's Reader (field 1 → field 2 → field 2), nothing more.
 */
import protobuf from "protobufjs/minimal";

export interface Frame {
  /** First byte of the item's payload (after its length prefix). */
  start: number;
  /** One past its last byte. */
  end: number;
}

export function itemFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const r = protobuf.Reader.create(bytes);
  const children = (end: number, field: number, visit: (end: number) => void) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === field && (tag & 7) === 2) {
        const len = r.uint32();
        const childEnd = r.pos + len;
        visit(childEnd);
        r.pos = childEnd;
      } else r.skipType(tag & 7);
    }
  };
  children(r.len, 1, (resourceEnd) =>
    children(resourceEnd, 2, (scopeEnd) =>
      children(scopeEnd, 2, (itemEnd) => frames.push({ start: r.pos, end: itemEnd })),
    ),
  );
  return frames;
}
