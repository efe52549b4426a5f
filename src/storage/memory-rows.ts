/**
 * How \`memoryStorage\` holds records and inbox events, and how it copies them in and out: the store's
 * rows and pure helpers, apart from the store's operations and its transaction.
 */
import type { InboxEvent, InboxEventInput, InboxStatus, StoredRecord } from './types.js';

/** A record as the store holds it: `refs` frozen (returned as is), `data` a private copy (cloned out). */
export type Row = StoredRecord;

/** An inbox event as the store holds it: mutable, changed in place; `token` names the lease holder. */
export interface EventRow {
  id: string;
  type: string;
  account: string | null;
  objectId: string | null;
  livemode: boolean;
  created: number;
  payload: string | null;
  source: InboxEventInput['source'];
  status: InboxStatus;
  attempts: number;
  lastError: string | null;
  receivedAt: number;
  nextAttemptAt: number | null;
  leaseExpiresAt: number | null;
  processedAt: number | null;
  token: string | null;
}

/**
 * A deep copy of a JSON-compatible value (plain objects, arrays, primitives), so that callers never share
 * mutable state with the store. Indexed loops and `for...in` (plain objects have no inherited enumerable
 * keys): about twice as fast as `Object.keys` with `map`, and several times faster than `structuredClone`
 * or a JSON round trip, on an order record (Node 20).
 */
export function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const out = new Array(length);
    for (let i = 0; i < length; i++) out[i] = clonePlain(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = clonePlain((value as Record<string, unknown>)[key]);
  return out as T;
}

/**
 * The record as a caller receives it: a fresh envelope and a copy of the data. `data` may be given when the
 * caller already owns an equal object that the store does not hold (the data it just wrote, of which the
 * store keeps its own copy), which saves a copy on every write.
 */
export function recordOut(row: Row, data: unknown = clonePlain(row.data)): StoredRecord {
  return {
    kind: row.kind,
    id: row.id,
    version: row.version,
    status: row.status,
    index: row.index,
    refs: row.refs,
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    data,
  };
}

export function eventOut(row: EventRow): InboxEvent {
  return {
    id: row.id,
    type: row.type,
    account: row.account,
    objectId: row.objectId,
    livemode: row.livemode,
    created: row.created,
    payload: row.payload,
    source: row.source,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    receivedAt: row.receivedAt,
    nextAttemptAt: row.nextAttemptAt,
    leaseExpiresAt: row.leaseExpiresAt,
    processedAt: row.processedAt,
  };
}

export function sameRefs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Newest first: by `createdAt` descending, then id descending. */
export const newestFirst = (a: Row, b: Row) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
/** Oldest received first: by `receivedAt`, then id. */
export const oldestFirst = (a: EventRow, b: EventRow) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
