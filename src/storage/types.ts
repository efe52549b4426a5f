/**
 * The storage port. An adapter is correct when it passes `runStorageConformance` from
 * `stripe-marketplace/testing`.
 *
 * The port is a few generic primitives, whatever record kinds the library has: records by kind with a
 * version, a reference index from Stripe ids to records, single-use records, a webhook inbox, pruning,
 * and an optional transaction. The rules (statuses only move forward, a refunded amount never decreases)
 * are pure functions in the library's core; an adapter only performs the atomic, guarded write it is
 * asked for. Every method that guards money (insert-if-absent, the version-guarded update, consuming a
 * single-use record, claiming an event) must be atomic in the backing store, across processes: one
 * statement or one transaction, never a read followed by a write in JavaScript.
 *
 * Records are plain JSON-compatible objects. Timestamps are milliseconds since the epoch.
 */

/** A JSON value as records hold it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * One stored record. `kind` names the record kind (`vendor`, `order`, `refund`, ...). The envelope fields
 * (`status`, `index`, `refs`, `expiresAt`, `createdAt`) are what an adapter indexes; `data` is the record
 * itself, stored and returned as given.
 */
export interface StoredRecord<D = unknown> {
  readonly kind: string;
  /** The record's id within its kind (the platform's id, or a Stripe id). */
  readonly id: string;
  /** 1 when inserted; each applied update adds 1. */
  readonly version: number;
  /** The record's status, for `list` filters. */
  readonly status: string;
  /** The kind's one secondary key (for example an order's vendor id), for `list`; null when none. */
  readonly index: string | null;
  /**
   * Stripe ids (`pi_...`, `acct_...`, ...) that `resolve` finds this record by. Each Stripe id is linked to
   * the first record that carried it, for good: a later record carrying the same id does not take it over.
   */
  readonly refs: readonly string[];
  /** For single-use records: the time after which `consume` no longer returns it and `prune` removes it. */
  readonly expiresAt: number | null;
  /** Set by the writer at insert; `list` returns newest first by it. */
  readonly createdAt: number;
  readonly data: D;
}

/** What `insert` and `update` write: the envelope and data, without the version the adapter keeps. */
export type RecordWrite<D = unknown> = Omit<StoredRecord<D>, 'version'>;

/** The condition of an update: every given part must hold for it to apply. */
export interface UpdateGuard {
  /** The version the caller read. The update applies only when the stored version is still this one. */
  readonly version?: number;
  /** The statuses the record may be in for the update to apply. */
  readonly statuses?: readonly string[];
}

export interface UpdateResult<D = unknown> {
  /** True when the update was written. */
  readonly applied: boolean;
  /** The record after the update, or as it stands when the update did not apply; null when there is none. */
  readonly record: StoredRecord<D> | null;
}

export interface ListQuery {
  /** Only records whose `index` is this value. */
  readonly index?: string;
  /** Only records in one of these statuses. */
  readonly statuses?: readonly string[];
  /** At most this many (1 to 1000). */
  readonly limit: number;
  /** Only records created before this time, for paging (newest first). */
  readonly createdBefore?: number;
}

/** Where an event came from: a webhook delivery, a replay of a failed event, or a backfill from `events.list`. */
export type EventSource = 'delivery' | 'replay' | 'backfill';

/**
 * An inbox event's state:
 * - `pending`: stored and waiting for a worker (inbox mode), or released for a retry at `nextAttemptAt`;
 * - `processing`: held by a worker or delivery until `leaseExpiresAt`;
 * - `processed`: done; only `prune` removes it;
 * - `failed`: gave up (a failed delivery, or too many attempts); a delivery of the same event, or a replay, takes it again.
 */
export type InboxStatus = 'pending' | 'processing' | 'processed' | 'failed';

/** A verified Stripe event as the inbox keeps it. */
export interface InboxEventInput {
  readonly id: string;
  readonly type: string;
  /** The connected account (`event.account`), or null for the platform's own events. */
  readonly account: string | null;
  /** The id of the event's object (`event.data.object.id`). */
  readonly objectId: string | null;
  readonly livemode: boolean;
  /** The event's `created` (Unix seconds). */
  readonly created: number;
  /** The event as JSON text. */
  readonly payload: string;
  readonly source: EventSource;
}

export interface InboxEvent extends Omit<InboxEventInput, 'payload'> {
  /** The event as JSON text; null for events stored before the inbox kept payloads (schema 1). */
  readonly payload: string | null;
  readonly status: InboxStatus;
  /** How many times a delivery, a worker or a replay took the event. */
  readonly attempts: number;
  readonly lastError: string | null;
  /** When the event was first stored. */
  readonly receivedAt: number;
  /** For `pending`: the earliest time a worker takes it. */
  readonly nextAttemptAt: number | null;
  /** For `processing`: when the holder's lease ends. */
  readonly leaseExpiresAt: number | null;
  readonly processedAt: number | null;
}

/**
 * The answer to `claimEvent`:
 * - `claimed`: this caller holds the event until its lease ends; it must `settleEvent` with `token`.
 * - `queued`: (`lease: false`) the event is stored as `pending`; `created` is false when it was stored before.
 * - `processed`: the event was processed before; do nothing.
 * - `in_progress`: another caller holds an unexpired lease.
 */
export type EventClaim =
  | { readonly status: 'claimed'; readonly token: string; readonly attempts: number }
  | { readonly status: 'queued'; readonly created: boolean }
  | { readonly status: 'processed' }
  | { readonly status: 'in_progress'; readonly leaseExpiresAt: number };

export interface ClaimOptions {
  /** How long the claim holds the event. */
  readonly leaseMs: number;
  /**
   * False to store the event as `pending` without claiming it (inbox mode's acknowledgment: one statement).
   * Default true.
   */
  readonly lease?: boolean;
}

/** A claimed event handed to a worker. */
export interface ClaimedEvent {
  readonly event: InboxEvent;
  readonly token: string;
}

/** How a claim ends. */
export type EventSettlement =
  | { readonly status: 'processed' }
  /** Release for another attempt, not before `retryAt` (milliseconds since the epoch, on the adapter's clock). */
  | { readonly status: 'pending'; readonly error: string; readonly retryAt: number }
  | { readonly status: 'failed'; readonly error: string };

export interface ListEventsQuery {
  readonly statuses?: readonly InboxStatus[];
  /** At most this many, oldest received first (1 to 1000). */
  readonly limit: number;
  /** Only events received after this one (by `receivedAt`, then id), for paging. */
  readonly after?: { readonly receivedAt: number; readonly id: string };
}

export interface PruneOptions {
  /** Remove processed events processed before this time. */
  readonly processedBefore: number;
  /** Remove records whose `expiresAt` is before this time (spent or expired single-use records). */
  readonly expiredBefore: number;
}

export interface MarketplaceStorage {
  // ---- records -------------------------------------------------------------------------------

  /** The record of `kind` with `id`, or null. */
  get<D = unknown>(kind: string, id: string): Promise<StoredRecord<D> | null>;

  /**
   * Stores `record` with version 1 unless a record of the same kind and id exists, and links its `refs`
   * that are not linked yet. Atomic: when several callers insert the same record at once, exactly one gets
   * `created: true`, and every caller receives the record that is stored (the winner's).
   */
  insert<D = unknown>(record: RecordWrite<D>): Promise<{ created: boolean; record: StoredRecord<D> }>;

  /**
   * Replaces the record (envelope and data; `kind`, `id` and `createdAt` stay) and adds 1 to its version,
   * only when `guard` holds, and links its `refs` that are not linked yet, in the same atomic write. When
   * several callers update with the same expected version, at most one applies.
   */
  update<D = unknown>(kind: string, id: string, next: RecordWrite<D>, guard: UpdateGuard): Promise<UpdateResult<D>>;

  /** Records of `kind`, newest first (by `createdAt`, then id), filtered by `query`. */
  list<D = unknown>(kind: string, query: ListQuery): Promise<StoredRecord<D>[]>;

  /** The record a Stripe id is linked to (see `refs`), or null. */
  resolve<D = unknown>(stripeId: string): Promise<StoredRecord<D> | null>;

  /**
   * Deletes the record and returns it when it exists and its `expiresAt` is null or later than `now`.
   * Atomic: when several callers consume the same record at once, exactly one receives it. An expired
   * record is deleted too, and null is returned.
   */
  consume<D = unknown>(kind: string, id: string, now: number): Promise<StoredRecord<D> | null>;

  // ---- the webhook inbox ---------------------------------------------------------------------

  /**
   * Stores the event unless it is stored, then claims it with a lease. Atomic across processes: of several
   * concurrent claims at most one gets `claimed`. A `pending` or `failed` event, or a `processing` one whose
   * lease has ended, is taken (with a new token, adding 1 to `attempts`); a `processed` one answers
   * `processed`. Leases are measured on the store's own clock (a database's `now()`), so an application
   * server whose clock runs ahead cannot take over another's lease. With `lease: false`, only stores it.
   */
  claimEvent(event: InboxEventInput, options: ClaimOptions): Promise<EventClaim>;

  /**
   * Claims up to `limit` events that are due: `pending` with `nextAttemptAt` reached, or `processing` with an
   * ended lease; oldest first. Several workers in several processes never receive the same event while its
   * lease lasts (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
   */
  claimNextEvents(options: { readonly limit: number; readonly leaseMs: number }): Promise<ClaimedEvent[]>;

  /**
   * Ends a claim: `processed`, `pending` (released for a retry) or `failed`, recording the error. Only the
   * holder of `token` may settle: returns false, and changes nothing, when the claim was taken over.
   */
  settleEvent(eventId: string, token: string, settlement: EventSettlement): Promise<boolean>;

  /** Inbox events, oldest received first, filtered by `query`. */
  listEvents(query: ListEventsQuery): Promise<InboxEvent[]>;

  /** Removes processed events and expired single-use records; returns how many of each. */
  prune(options: PruneOptions): Promise<{ events: number; records: number }>;

  // ---- transactions (optional) ---------------------------------------------------------------

  /**
   * Optional: adapters whose store has transactions provide it; others leave it out.
   * Runs `fn` in one transaction. `tx` is this storage bound to that transaction: every write made
   * through `tx` commits when `fn` resolves, and none does when `fn` throws (the error is rethrown after
   * the rollback). Inside `fn`, use only `tx`. A `tx.transaction` call nests (a savepoint, or the same
   * transaction). With the Marketplace option `webhookTransactions: true`, webhook processing runs the
   * projection, the handlers (with `ctx.storage` = `tx`) and `settleEvent` in one call, so they commit
   * together or not at all.
   */
  transaction?<T>(fn: (tx: MarketplaceStorage) => Promise<T>): Promise<T>;
}
