import { decodeResourceAt } from "./decode-common";
import type { Attributes } from "./model";
import {
  expectEnd,
  expectWire,
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

/**
 * Walks an Export*ServiceRequest and calls `decodeItem` for every item (span, log record)
 * with its position in its scope. Each item it returns is handed to `onItem` with its
 * resource's attributes, which are decoded only for resources that have such items.
 */
export function walkExportRequest<T>(
  r: Reader,
  decodeItem: (r: Reader, index: number) => T | null,
  onItem: (resource: Attributes, item: T) => void,
): void {
  while (r.pos < r.len) {
    const [field, wire] = readTag(r);
    if (field === REQUEST_RESOURCE_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      walkResourceItems(r, decodeItem, onItem);
    } else skipField(r, wire);
  }
}

function walkResourceItems<T>(
  r: Reader,
  decodeItem: (r: Reader, index: number) => T | null,
  onItem: (resource: Attributes, item: T) => void,
): void {
  const end = messageEnd(r);
  let resource: [number, number] | null = null;
  const items: T[] = [];
  while (r.pos < end) {
    const [field, wire] = readTag(r);
    if (field === RESOURCE_ITEMS_RESOURCE) {
      expectWire(field, wire, WIRE_LEN);
      resource = readRange(r);
    } else if (field === RESOURCE_ITEMS_SCOPE_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      walkScopeItems(r, decodeItem, items);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
  if (items.length === 0) return;
  const attrs: Attributes = resource ? decodeResourceAt(r, resource[0], resource[1]) : new Map();
  for (const item of items) onItem(attrs, item);
}

function walkScopeItems<T>(r: Reader, decodeItem: (r: Reader, index: number) => T | null, items: T[]): void {
  const end = messageEnd(r);
  let index = 0;
  while (r.pos < end) {
    const [field, wire] = readTag(r);
    if (field === SCOPE_ITEMS_ITEMS) {
      expectWire(field, wire, WIRE_LEN);
      const item = decodeItem(r, index++);
      if (item !== null) items.push(item);
    } else skipField(r, wire);
  }
  expectEnd(r, end);
}
