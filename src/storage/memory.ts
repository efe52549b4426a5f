import type {
  ClaimedEvent,
  EventClaim,
  EventSettlement,
  InboxEvent,
  InboxEventInput,
  ListEventsQuery,
  ListQuery,
  MarketplaceStorage,
  RecordWrite,
  StoredRecord,
  UpdateGuard,
  UpdateResult,
} from './types.js';
import { clonePlain, type EventRow, eventOut, newestFirst, oldestFirst, recordOut, type Row, sameRefs } from './memory-rows.js';

export interface MemoryStorageOptions {
  /**
   * The store's clock (milliseconds since the epoch), for the inbox: when an event is received, when a
   * lease ends, when a retry is due, when an event was processed. Default `Date.now`. Tests pass a fake
   * clock to expire leases without waiting.
   */
  readonly now?: () => number;
}

/** One step that undoes a write, recorded while a transaction runs. */
type Undo = () => void;

/**
 * Storage in this process's memory: the reference implementation of the storage port, and the store of
 * tests and single-process deployments. State is lost on restart and not shared between processes: use
 * `postgresStorage` from `stripe-marketplace/postgres` when either matters.
 *
 * Every method runs synchronously inside one call, so each is atomic with respect to other callers.
 * Records are copied in and out: a caller never shares mutable state with the store. The store keeps its
 * own copy of what is written, and every read returns a fresh copy; the record that `insert` (when it
 * creates) and `update` (when it applies) return carries the very data object the caller passed, of
 * which the store holds a separate copy (one copy fewer per write). `refs` arrays are returned frozen.
 *
 * `transaction` is a real one: writes made through `tx` are undone when the callback throws. Transactions
 * are serialised (one at a time, in call order), and while one runs every call on the storage itself
 * waits for it to end, so no caller sees uncommitted writes. Inside the callback use only `tx`: a call on
 * the storage itself would wait for the transaction, which waits for the callback.
 */
export function memoryStorage(options: MemoryStorageOptions = {}): MarketplaceStorage {
  const clock = options.now ?? Date.now;
  const kinds = new Map<string, Map<string, Row>>();
  /** Stripe id -> the record it is linked to, as `[kind, id]`. */
  const links = new Map<string, readonly [string, string]>();
  /** `kind` NUL `id` -> every Stripe id linked to that record (also ids its later versions dropped). */
  const linkedTo = new Map<string, Set<string>>();
  const recordKey = (kind: string, id: string) => `${kind}\u0000${id}`;
  const events = new Map<string, EventRow>();
  /** Ids of the events a worker may take (`pending` or `processing`), for `claimNextEvents`. */
  const open = new Set<string>();
  let leases = 0;

  /** The undo log of the running transaction, or null outside one. */
  let undo: Undo[] | null = null;

  const rowsOf = (kind: string): Map<string, Row> => {
    let rows = kinds.get(kind);
    if (!rows) {
      rows = new Map();
      kinds.set(kind, rows);
    }
    return rows;
  };

  const putRow = (row: Row) => {
    const rows = rowsOf(row.kind);
    if (undo) {
      const before = rows.get(row.id);
      undo.push(before ? () => rows.set(before.id, before) : () => rows.delete(row.id));
    }
    rows.set(row.id, row);
    for (const ref of row.refs) {
      if (links.has(ref)) continue;
      links.set(ref, [row.kind, row.id]);
      const key = recordKey(row.kind, row.id);
      const owned = linkedTo.get(key) ?? new Set<string>();
      linkedTo.set(key, owned);
      owned.add(ref);
      if (undo) {
        undo.push(() => {
          links.delete(ref);
          owned.delete(ref);
        });
      }
    }
  };

  /** Deletes the record and frees every Stripe id linked to it (as a foreign key with ON DELETE CASCADE would). */
  const deleteRow = (rows: Map<string, Row>, row: Row) => {
    rows.delete(row.id);
    const key = recordKey(row.kind, row.id);
    const unlinked = [...(linkedTo.get(key) ?? [])];
    linkedTo.delete(key);
    for (const ref of unlinked) links.delete(ref);
    if (undo) {
      undo.push(() => {
        rows.set(row.id, row);
        for (const ref of unlinked) links.set(ref, [row.kind, row.id]);
        if (unlinked.length > 0) linkedTo.set(key, new Set(unlinked));
      });
    }
  };

  /** Records the event's state before a change, so that a rollback restores it. */
  const saveEvent = (row: EventRow | undefined, id: string) => {
    if (!undo) return;
    if (!row) {
      undo.push(() => {
        events.delete(id);
        open.delete(id);
      });
      return;
    }
    const before = { ...row };
    undo.push(() => {
      Object.assign(row, before);
      events.set(id, row);
      if (row.status === 'pending' || row.status === 'processing') open.add(id);
      else open.delete(id);
    });
  };

  const take = (row: EventRow, now: number, leaseMs: number): string => {
    const token = `lease_${++leases}`;
    row.status = 'processing';
    row.token = token;
    row.attempts += 1;
    row.leaseExpiresAt = now + leaseMs;
    row.nextAttemptAt = null;
    open.add(row.id);
    return token;
  };

  /** The row for `input`, keeping `before`'s frozen refs when they are the same (the usual update). */
  const rowOf = (kind: string, id: string, input: RecordWrite, version: number, createdAt: number, before?: Row): Row => ({
    kind,
    id,
    version,
    status: input.status,
    index: input.index,
    refs: before && sameRefs(before.refs, input.refs) ? before.refs : Object.freeze([...input.refs]),
    expiresAt: input.expiresAt,
    createdAt,
    data: clonePlain(input.data),
  });

  /** The port's methods on the live state; each completes synchronously. */
  const ops: OpsShape = {
    get(kind, id) {
      const row = kinds.get(kind)?.get(id);
      return row ? recordOut(row) : null;
    },

    insert(record) {
      const existing = kinds.get(record.kind)?.get(record.id);
      if (existing) return { created: false, record: recordOut(existing) };
      const row = rowOf(record.kind, record.id, record, 1, record.createdAt);
      putRow(row);
      return { created: true, record: recordOut(row, record.data) };
    },

    update(kind, id, next, guard) {
      const existing = kinds.get(kind)?.get(id);
      if (!existing) return { applied: false, record: null };
      if (
        (guard.version !== undefined && guard.version !== existing.version) ||
        (guard.statuses !== undefined && !guard.statuses.includes(existing.status))
      ) {
        return { applied: false, record: recordOut(existing) };
      }
      const row = rowOf(kind, id, next, existing.version + 1, existing.createdAt, existing);
      putRow(row);
      return { applied: true, record: recordOut(row, next.data) };
    },

    list(kind, query) {
      const rows = kinds.get(kind);
      if (!rows) return [];
      const found: Row[] = [];
      for (const row of rows.values()) {
        if (query.index !== undefined && row.index !== query.index) continue;
        if (query.statuses !== undefined && !query.statuses.includes(row.status)) continue;
        if (query.createdBefore !== undefined && !(row.createdAt < query.createdBefore)) continue;
        found.push(row);
      }
      return found
        .sort(newestFirst)
        .slice(0, query.limit)
        .map((row) => recordOut(row));
    },

    resolve(stripeId) {
      const link = links.get(stripeId);
      return link ? ops.get(link[0], link[1]) : null;
    },

    consume(kind, id, now) {
      const rows = kinds.get(kind);
      const row = rows?.get(id);
      if (!rows || !row) return null;
      deleteRow(rows, row);
      return row.expiresAt === null || row.expiresAt > now ? recordOut(row) : null;
    },

    claimEvent(event, options) {
      const now = clock();
      const row = events.get(event.id);
      if (!row) {
        saveEvent(undefined, event.id);
        const created: EventRow = {
          id: event.id,
          type: event.type,
          account: event.account,
          objectId: event.objectId,
          livemode: event.livemode,
          created: event.created,
          payload: event.payload,
          source: event.source,
          status: 'pending',
          attempts: 0,
          lastError: null,
          receivedAt: now,
          nextAttemptAt: now,
          leaseExpiresAt: null,
          processedAt: null,
          token: null,
        };
        events.set(event.id, created);
        open.add(event.id);
        if (options.lease === false) return { status: 'queued', created: true };
        return { status: 'claimed', token: take(created, now, options.leaseMs), attempts: created.attempts };
      }
      if (row.status === 'processed') return { status: 'processed' };
      if (options.lease === false) return { status: 'queued', created: false };
      if (row.status === 'processing' && (row.leaseExpiresAt as number) > now) {
        return { status: 'in_progress', leaseExpiresAt: row.leaseExpiresAt as number };
      }
      saveEvent(row, row.id);
      return { status: 'claimed', token: take(row, now, options.leaseMs), attempts: row.attempts };
    },

    claimNextEvents(options) {
      const now = clock();
      const due: EventRow[] = [];
      for (const id of open) {
        const row = events.get(id) as EventRow;
        const at = row.status === 'pending' ? row.nextAttemptAt : row.leaseExpiresAt;
        if (at === null || at <= now) due.push(row);
      }
      if (due.length > options.limit) due.sort(oldestFirst).length = options.limit;
      else due.sort(oldestFirst);
      return due.map((row) => {
        saveEvent(row, row.id);
        const token = take(row, now, options.leaseMs);
        return { event: eventOut(row), token };
      });
    },

    settleEvent(eventId, token, settlement) {
      const row = events.get(eventId);
      if (row?.status !== 'processing' || row.token !== token) return false;
      saveEvent(row, eventId);
      row.token = null;
      row.leaseExpiresAt = null;
      row.status = settlement.status;
      if (settlement.status === 'processed') {
        row.processedAt = clock();
        row.nextAttemptAt = null;
        open.delete(eventId);
      } else if (settlement.status === 'pending') {
        row.lastError = settlement.error;
        row.nextAttemptAt = settlement.retryAt;
      } else {
        row.lastError = settlement.error;
        row.nextAttemptAt = null;
        open.delete(eventId);
      }
      return true;
    },

    listEvents(query) {
      const after = query.after;
      const found: EventRow[] = [];
      for (const row of events.values()) {
        if (query.statuses !== undefined && !query.statuses.includes(row.status)) continue;
        if (after && (row.receivedAt < after.receivedAt || (row.receivedAt === after.receivedAt && row.id <= after.id))) continue;
        found.push(row);
      }
      return found.sort(oldestFirst).slice(0, query.limit).map(eventOut);
    },

    prune(options) {
      let pruned = 0;
      for (const row of [...events.values()]) {
        if (row.status !== 'processed' || !((row.processedAt as number) < options.processedBefore)) continue;
        saveEvent(row, row.id);
        events.delete(row.id);
        pruned += 1;
      }
      let records = 0;
      for (const rows of kinds.values()) {
        for (const row of [...rows.values()]) {
          if (row.expiresAt === null || !(row.expiresAt < options.expiredBefore)) continue;
          deleteRow(rows, row);
          records += 1;
        }
      }
      return { events: pruned, records };
    },
  };

  // ---- serialisation: one transaction at a time; calls on the storage wait while one runs ----------

  let busy = false;
  const waiters: (() => void)[] = [];
  const acquire = (): Promise<void> | undefined => {
    if (!busy) {
      busy = true;
      return undefined;
    }
    return new Promise<void>((resolve) => waiters.push(resolve));
  };
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else busy = false;
  };

  /** Runs `op` now when no transaction holds the store, or else once the transactions before it end. */
  const outside: Gate = (op) => {
    if (!busy) return settle(op);
    return (async () => {
      await acquire();
      try {
        return op();
      } finally {
        release();
      }
    })();
  };

  /** `tx`: the operations on the live state, usable only while its transaction runs. */
  const bind = (isOpen: () => boolean): MarketplaceStorage => {
    const tx = portOf(ops, (op) => (isOpen() ? settle(op) : Promise.reject(ended())));
    tx.transaction = async <T>(fn: (inner: MarketplaceStorage) => Promise<T>): Promise<T> => {
      const log = undo;
      if (!isOpen() || !log) throw ended();
      // A nested transaction is a savepoint: a throw undoes the writes made since it began.
      const mark = log.length;
      let nestedOpen = true;
      try {
        return await fn(bind(() => nestedOpen && isOpen()));
      } catch (error) {
        rollback(log, mark);
        throw error;
      } finally {
        nestedOpen = false;
      }
    };
    return tx;
  };

  const rollback = (log: Undo[], mark: number) => {
    while (log.length > mark) (log.pop() as Undo)();
  };

  const storage = portOf(ops, outside);
  storage.transaction = async <T>(fn: (tx: MarketplaceStorage) => Promise<T>): Promise<T> => {
    await acquire();
    const log: Undo[] = [];
    undo = log;
    let txOpen = true;
    try {
      return await fn(bind(() => txOpen));
    } catch (error) {
      rollback(log, 0);
      throw error;
    } finally {
      txOpen = false;
      undo = null;
      release();
    }
  };
  return storage;
}

type Gate = <T>(op: () => T) => Promise<T>;

/** `op()` as a promise: its value, or its exception as a rejection. */
function settle<T>(op: () => T): Promise<T> {
  try {
    return Promise.resolve(op());
  } catch (error) {
    return Promise.reject(error);
  }
}

const ended = () => new Error('memoryStorage: this transaction has ended; use the storage itself');

/** The port over `ops`, each call passed through `gate`. */
function portOf(ops: OpsShape, gate: Gate): MarketplaceStorage {
  return {
    get: (kind, id) => gate(() => ops.get(kind, id)),
    insert: (record) => gate(() => ops.insert(record)),
    update: (kind, id, next, guard) => gate(() => ops.update(kind, id, next, guard)),
    list: (kind, query) => gate(() => ops.list(kind, query)),
    resolve: (stripeId) => gate(() => ops.resolve(stripeId)),
    consume: (kind, id, now) => gate(() => ops.consume(kind, id, now)),
    claimEvent: (event, options) => gate(() => ops.claimEvent(event, options)),
    claimNextEvents: (options) => gate(() => ops.claimNextEvents(options)),
    settleEvent: (eventId, token, settlement) => gate(() => ops.settleEvent(eventId, token, settlement)),
    listEvents: (query) => gate(() => ops.listEvents(query)),
    prune: (options) => gate(() => ops.prune(options)),
  } as MarketplaceStorage;
}

/** The synchronous shape of the port's methods (generic parameters erased). */
interface OpsShape {
  get(kind: string, id: string): StoredRecord | null;
  insert(record: RecordWrite): { created: boolean; record: StoredRecord };
  update(kind: string, id: string, next: RecordWrite, guard: UpdateGuard): UpdateResult;
  list(kind: string, query: ListQuery): StoredRecord[];
  resolve(stripeId: string): StoredRecord | null;
  consume(kind: string, id: string, now: number): StoredRecord | null;
  claimEvent(event: InboxEventInput, options: { readonly leaseMs: number; readonly lease?: boolean }): EventClaim;
  claimNextEvents(options: { readonly limit: number; readonly leaseMs: number }): ClaimedEvent[];
  settleEvent(eventId: string, token: string, settlement: EventSettlement): boolean;
  listEvents(query: ListEventsQuery): InboxEvent[];
  prune(options: { readonly processedBefore: number; readonly expiredBefore: number }): { events: number; records: number };
}
