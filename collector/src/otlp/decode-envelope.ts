import { decodeResourceAt } from "./decode-common";
import type { Attributes } from "./model";
import {
  DecodeError,
  expectEnd,
  expectWire,
  isReaderError,
  messageEnd,
  type Reader,
  readRange,
  readTag,
  skipField,
  WIRE_LEN,
} from "./wire";

// The envelope that traces, logs and metrics share (opentelemetry-proto collector/*/v1/*_service.proto):
// Export*ServiceRequest { repeated Resource* resource_* = 1; }
// Resource*             { Resource resource = 1; repeated Scope* scope_* = 2; }
// Scope*                { repeated <item> items = 2; }
const REQUEST_RESOURCE_ITEMS = 1;
const RESOURCE_ITEMS_RESOURCE = 1;
const RESOURCE_ITEMS_SCOPE_ITEMS = 2;
const SCOPE_ITEMS_ITEMS = 2;

export interface WalkCallbacks<T> {
  /** Decodes one item (span, log record, metric) whose length prefix is next; null when not needed. */
  decodeItem: (r: Reader, index: number) => T | null;
  /** Receives each decoded item with its resource's attributes. */
  onItem: (resource: Attributes, item: T) => void;
  /** Counts an item skipped as malformed. */
  onMalformed: () => void;
}

/**
 * Walks an Export*ServiceRequest and calls `decodeItem` for every item with its position in
 * its scope. Each item it returns is handed to `onItem` with its resource's attributes, which
 * are decoded only for resources that have such items.
 *
 * The envelope (requests, resources, scopes and the length prefix of every item) must be well
 * formed, or the whole request is undecodable (DecodeError). An item whose own bytes are
 * malformed inside its well-formed frame is skipped and counted by `onMalformed`, and the walk
 * goes on with the next item: valid items of the same request are not lost. So are the items
 * of a resource whose attributes are malformed, since they cannot be attributed to a service.
 */
export function walkExportRequest<T>(r: Reader, cb: WalkCallbacks<T>): void {
  while (r.pos < r.len) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === REQUEST_RESOURCE_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      walkResourceItems(r, cb);
    } else skipField(r, wire);
  }
}

function walkResourceItems<T>(r: Reader, cb: WalkCallbacks<T>): void {
  const end = messageEnd(r);
  let resource: [number, number] | null = null;
  const items: T[] = [];
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === RESOURCE_ITEMS_RESOURCE) {
      expectWire(field, wire, WIRE_LEN);
      resource = readRange(r);
    } else if (field === RESOURCE_ITEMS_SCOPE_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      walkScopeItems(r, cb, items);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  if (items.length === 0) return;
  let attrs: Attributes = new Map();
  if (resource) {
    try {
      attrs = decodeResourceAt(r, resource[0], resource[1]);
    } catch (err) {
      if (!isReaderError(err)) throw err;
      r.pos = end;
      for (let i = 0; i < items.length; i++) cb.onMalformed();
      return;
    }
  }
  for (const item of items) cb.onItem(attrs, item);
}

function walkScopeItems<T>(r: Reader, cb: WalkCallbacks<T>, items: T[]): void {
  const end = messageEnd(r);
  let index = 0;
  while (r.pos < end) {
    const tag = readTag(r);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === SCOPE_ITEMS_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      const start = r.pos;
      const itemEnd = messageEnd(r);
      if (itemEnd > end) throw new DecodeError(`item of ${itemEnd - r.pos} bytes overruns its scope`);
      r.pos = start;
      try {
        const item = cb.decodeItem(r, index++);
        expectEnd(r, itemEnd);
        if (item !== null) items.push(item);
      } catch (err) {
        if (!isReaderError(err)) throw err;
        cb.onMalformed();
        r.pos = itemEnd;
      }
    } else skipField(r, wire);
  }
  expectEnd(r, end);
}
