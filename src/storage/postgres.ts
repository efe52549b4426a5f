import { MarketplaceError, storageError } from '../errors.js';
import { sqlExecutor, type PostgresClient, type SqlExecutor, type SqlResult } from './postgres-client.js';
import {
  assertTablePrefix,
  DB_NOW_MS,
  DEFAULT_TABLE_PREFIX,
  migrations,
  migrationsTableSql,
  tableNames,
} from './postgres-schema.js';
import type {
  ClaimedEvent,
  EventClaim,
  InboxEvent,
  InboxStatus,
  ListEventsQuery,
  ListQuery,
  MarketplaceStorage,
  RecordWrite,
  StoredRecord,
  UpdateGuard,
} from './types.js';

export interface PostgresStorageOptions {
  /** A `pg.Pool` (recommended for servers), a `pg.Client`, or a PGlite instance. */
  client: PostgresClient;
  /** Prepended to every table name (default `marketplace_`): lower-case letters, digits and `_`. */
  tablePrefix?: string;
}

/** PostgreSQL storage: the storage contract, plus the schema and raw SQL on the same connection(s). */
export interface PostgresStorage extends MarketplaceStorage {
  /** The table prefix in use. */
  readonly tablePrefix: string;
  /**
   * Creates or updates the tables. Idempotent, and safe when several processes run it at once (they
   * serialise on an advisory lock). Call it once at start-up, or apply `schema.sql` yourself instead.
   */
  migrate(): Promise<void>;
  /** Runs one parameterised statement (`$1`, `$2`, ...) on this storage's connection or transaction. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /**
   * Runs `fn` in one transaction; `tx` is this storage bound to it (its `query` included), so your own
   * writes and the library's commit together or not at all. Nested calls use a savepoint.
   */
  transaction<T>(fn: (tx: PostgresStorage) => Promise<T>): Promise<T>;
}

/** The advisory lock class that serialises `migrate()` (the key within it is the prefix's hash). */
const MIGRATION_LOCK_CLASS = 0x534d;

/** How often `claimEvent` retries when the event it lost to was released while it looked. */
const CLAIM_ATTEMPTS = 5;

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** A list's LIMIT: the query's, within 1 to 1000. */
const limitOf = (limit: number): number => Math.min(1000, Math.max(1, Math.floor(Number(limit) || 1)));

/** The record columns every statement returns. */
const RECORD_COLUMNS = 'kind, id, version, status, index_key, refs, expires_at, created_at, data';

function recordFromRow<D>(row: Row): StoredRecord<D> {
  return {
    kind: String(row.kind),
    id: String(row.id),
    version: num(row.version),
    status: String(row.status),
    index: text(row.index_key),
    refs: (row.refs ?? []) as string[],
    expiresAt: numOrNull(row.expires_at),
    createdAt: num(row.created_at),
    data: row.data as D,
  };
}

/** The inbox columns `InboxEvent` is read from. */
const eventColumns = (alias = '') =>
  ['event_id', 'type', 'account', 'object_id', 'livemode', 'created', 'payload', 'source', 'status', 'attempts']
    .concat(['last_error', 'received_at', 'next_attempt_at', 'lease_expires_at', 'processed_at'])
    .map((column) => alias + column)
    .join(', ');

function eventFromRow(row: Row): InboxEvent {
  return {
    id: String(row.event_id),
    type: String(row.type),
    account: text(row.account),
    objectId: text(row.object_id),
    livemode: row.livemode === true,
    created: num(row.created),
    payload: text(row.payload),
    source: row.source as InboxEvent['source'],
    status: row.status as InboxStatus,
    attempts: num(row.attempts),
    lastError: text(row.last_error),
    receivedAt: num(row.received_at),
    nextAttemptAt: numOrNull(row.next_attempt_at),
    leaseExpiresAt: numOrNull(row.lease_expires_at),
    processedAt: numOrNull(row.processed_at),
  };
}

/** A record's envelope and data as statement parameters, after its kind and id (`$3` to `$7`). */
const envelopeParams = (record: RecordWrite) => [
  record.status,
  record.index,
  [...record.refs],
  record.expiresAt,
  JSON.stringify(record.data),
];

/** Whether `record` satisfies `guard` (for telling a lost race from a refused update). */
const satisfies = (record: StoredRecord, guard: UpdateGuard): boolean =>
  (guard.version === undefined || record.version === guard.version) &&
  (guard.statuses === undefined || guard.statuses.includes(record.status));

/**
 * Storage in PostgreSQL, through `pg` (a Pool or a Client) or PGlite. Neither driver is imported: pass your
 * own client. Every guarantee of the storage contract is one statement, and every method is one round trip
 * (a second one only after losing a race, to read the winner's row). Leases and inbox times are measured on
 * the database's clock.
 *
 * ```ts
 * import pg from 'pg';
 * import { postgresStorage } from 'stripe-marketplace/postgres';
 * const storage = postgresStorage({ client: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 * await storage.migrate();
 * ```
 */
export function postgresStorage(options: PostgresStorageOptions): PostgresStorage {
  const context = 'postgresStorage(options)';
  if (typeof options !== 'object' || options === null) {
    throw new MarketplaceError('INVALID_OPTIONS', `${context}: options must be an object with a client`);
  }
  const unknown = Object.keys(options).filter((key) => key !== 'client' && key !== 'tablePrefix');
  if (unknown.length > 0) {
    throw new MarketplaceError(
      'INVALID_OPTIONS',
      `${context}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `"${k}"`).join(', ')}`,
    );
  }
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  assertTablePrefix(prefix, context);
  return bind(sqlExecutor(options.client, `${context}.client`), prefix);
}

/** The statements of one table prefix, built once per storage. */
function statements(prefix: string) {
  const t = tableNames(prefix);
  const now = DB_NOW_MS;
  // Links the refs of the rows of `source` (a CTE) that no record holds yet, in one order, so that two
  // statements linking the same new ids wait for each other instead of deadlocking.
  const link = (source: string) =>
    `link AS (INSERT INTO ${t.refs} (stripe_id, kind, id)
       SELECT DISTINCT ON (ref) ref, s.kind, s.id FROM ${source} s, unnest(s.refs) AS ref ORDER BY ref
       ON CONFLICT (stripe_id) DO NOTHING)`;
  return {
    get: `SELECT ${RECORD_COLUMNS} FROM ${t.records} WHERE kind = $1 AND id = $2`,
    // The new row and its refs in one statement; when the record exists, the stored row (as of the
    // statement's snapshot: a row committed while the insert waited is read again by the caller).
    insert: `WITH ins AS (
        INSERT INTO ${t.records} (kind, id, version, status, index_key, refs, expires_at, created_at, data)
        VALUES ($1, $2, 1, $3, $4, $5::text[], $6, $8, $7::jsonb)
        ON CONFLICT (kind, id) DO NOTHING
        RETURNING ${RECORD_COLUMNS}), ${link('ins')}
      SELECT true AS created, * FROM ins
      UNION ALL
      SELECT false, ${RECORD_COLUMNS} FROM ${t.records} WHERE kind = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
    // The guarded write and its new refs in one statement; when the guard fails, the row as it stands.
    update: `WITH upd AS (
        UPDATE ${t.records} SET version = version + 1, status = $3, index_key = $4, refs = $5::text[], expires_at = $6,
          data = $7::jsonb
        WHERE kind = $1 AND id = $2 AND ($8::integer IS NULL OR version = $8::integer)
          AND ($9::text[] IS NULL OR status = ANY($9::text[]))
        RETURNING ${RECORD_COLUMNS}), ${link('upd')}
      SELECT true AS applied, * FROM upd
      UNION ALL
      SELECT false, ${RECORD_COLUMNS} FROM ${t.records} WHERE kind = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM upd)`,
    resolve: `SELECT r.kind, r.id, r.version, r.status, r.index_key, r.refs, r.expires_at, r.created_at, r.data
      FROM ${t.refs} f JOIN ${t.records} r ON r.kind = f.kind AND r.id = f.id WHERE f.stripe_id = $1`,
    // The DELETE decides: exactly one caller deletes the row. An expired record is deleted too.
    consume: `DELETE FROM ${t.records} WHERE kind = $1 AND id = $2
      RETURNING ${RECORD_COLUMNS}, (expires_at IS NULL OR expires_at > $3) AS live`,
    list: (kind: string, query: ListQuery) => {
      const params: unknown[] = [kind];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = ['kind = $1'];
      if (query.index !== undefined) where.push(`index_key = ${param(query.index)}`);
      if (query.statuses !== undefined) where.push(`status = ANY(${param([...query.statuses])}::text[])`);
      if (query.createdBefore !== undefined) where.push(`created_at < ${param(query.createdBefore)}`);
      return {
        sql: `SELECT ${RECORD_COLUMNS} FROM ${t.records} WHERE ${where.join(' AND ')}
          ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ${param(limitOf(query.limit))}`,
        params,
      };
    },
    // Stores the event, or takes it over when it is pending, failed, or held by an ended lease; otherwise
    // answers how it stands (as of the statement's snapshot: see `claimEvent`).
    claim: `WITH claim AS (
        INSERT INTO ${t.inbox} AS e (event_id, type, account, object_id, livemode, created, payload, source, status,
          attempts, token, received_at, lease_expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', 1, gen_random_uuid()::text, ${now}, ${now} + $9::bigint)
        ON CONFLICT (event_id) DO UPDATE SET status = 'processing', attempts = e.attempts + 1, token = EXCLUDED.token,
          lease_expires_at = EXCLUDED.lease_expires_at, next_attempt_at = NULL, payload = COALESCE(e.payload, EXCLUDED.payload)
        WHERE e.status IN ('pending', 'failed') OR (e.status = 'processing' AND e.lease_expires_at <= ${now})
        RETURNING e.token, e.attempts)
      SELECT 'claimed' AS status, token, attempts, NULL::bigint AS lease_expires_at, false AS takeable FROM claim
      UNION ALL
      SELECT status, NULL, attempts, lease_expires_at,
        status IN ('pending', 'failed') OR (status = 'processing' AND lease_expires_at <= ${now})
      FROM ${t.inbox} WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM claim)`,
    claimState: `SELECT status, lease_expires_at,
        status IN ('pending', 'failed') OR (status = 'processing' AND lease_expires_at <= ${now}) AS takeable
      FROM ${t.inbox} WHERE event_id = $1`,
    // One statement: a new event is queued; a stored one answers its status (processed events say so).
    enqueue: `WITH ins AS (
        INSERT INTO ${t.inbox} (event_id, type, account, object_id, livemode, created, payload, source, status,
          attempts, received_at, next_attempt_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, ${now}, ${now})
        ON CONFLICT (event_id) DO NOTHING RETURNING 'created'::text AS state)
      SELECT state FROM ins
      UNION ALL SELECT status AS state FROM ${t.inbox} WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
    claimNext: `WITH due AS (
        SELECT event_id FROM ${t.inbox}
        WHERE status IN ('pending', 'processing')
          AND ((status = 'pending' AND next_attempt_at <= ${now}) OR (status = 'processing' AND lease_expires_at <= ${now}))
        ORDER BY received_at, event_id COLLATE "C"
        LIMIT $1
        FOR UPDATE SKIP LOCKED)
      UPDATE ${t.inbox} e SET status = 'processing', attempts = e.attempts + 1, token = gen_random_uuid()::text,
        lease_expires_at = ${now} + $2::bigint, next_attempt_at = NULL
      FROM due WHERE e.event_id = due.event_id
      RETURNING e.token, ${eventColumns('e.')}`,
    settle: `UPDATE ${t.inbox} SET status = $3, token = NULL, lease_expires_at = NULL,
        processed_at = CASE WHEN $3 = 'processed' THEN ${now} END,
        next_attempt_at = CASE WHEN $3 = 'pending' THEN $5::bigint END,
        last_error = COALESCE($4, last_error)
      WHERE event_id = $1 AND token = $2 AND status = 'processing'
      RETURNING 1 AS settled`,
    listEvents: (query: ListEventsQuery) => {
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where: string[] = [];
      if (query.statuses !== undefined) where.push(`status = ANY(${param([...query.statuses])}::text[])`);
      if (query.after !== undefined) {
        where.push(
          `(received_at, event_id COLLATE "C") > (${param(query.after.receivedAt)}::bigint, ${param(query.after.id)}::text)`,
        );
      }
      return {
        sql: `SELECT ${eventColumns()} FROM ${t.inbox} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY received_at, event_id COLLATE "C" LIMIT ${param(limitOf(query.limit))}`,
        params,
      };
    },
    prune: `WITH e AS (DELETE FROM ${t.inbox} WHERE status = 'processed' AND processed_at < $1 RETURNING 1),
        r AS (DELETE FROM ${t.records} WHERE expires_at < $2 RETURNING 1)
      SELECT (SELECT count(*) FROM e) AS events, (SELECT count(*) FROM r) AS records`,
  };
}

function bind(db: SqlExecutor, prefix: string, sql = statements(prefix)): PostgresStorage {
  const t = tableNames(prefix);

  const rowsOf = async (text: string, params: readonly unknown[]): Promise<Row[]> => (await db.query<Row>(text, params)).rows;
  const get = async <D>(kind: string, id: string): Promise<StoredRecord<D> | null> => {
    const [row] = await rowsOf(sql.get, [kind, id]);
    return row ? recordFromRow<D>(row) : null;
  };

  const storage: PostgresStorage = {
    tablePrefix: prefix,

    async migrate() {
      try {
        await db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))', [MIGRATION_LOCK_CLASS, prefix]);
          await tx.query(migrationsTableSql(prefix));
          const { rows } = await tx.query<{ version: unknown }>(`SELECT version FROM ${t.migrations}`);
          const applied = new Set(rows.map((row) => num(row.version)));
          for (const migration of migrations(prefix)) {
            if (applied.has(migration.version)) continue;
            for (const statement of [...migration.statements, ...(migration.upgrade ?? [])]) await tx.query(statement);
            await tx.query(`INSERT INTO ${t.migrations} (version, applied_at) VALUES ($1, ${DB_NOW_MS})`, [migration.version]);
          }
        });
      } catch (error) {
        throw storageError('migrate the PostgreSQL schema', error);
      }
    },

    query: (text, params) => db.query(text, params),

    transaction: (fn) => db.transaction((tx) => fn(bind(tx, prefix, sql))),

    // ---- records ---------------------------------------------------------------------------------

    get,

    async insert<D>(record: RecordWrite<D>) {
      const [row] = await rowsOf(sql.insert, [record.kind, record.id, ...envelopeParams(record), record.createdAt]);
      if (row) return { created: row.created === true, record: recordFromRow<D>(row) };
      // The winner committed while this insert waited for it: its row is newer than this statement's snapshot.
      const stored = await get<D>(record.kind, record.id);
      if (stored === null)
        throw new Error(`the ${record.kind} ${record.id} that won the insert was deleted before it could be read`);
      return { created: false, record: stored };
    },

    async update<D>(kind: string, id: string, next: RecordWrite<D>, guard: UpdateGuard) {
      const [row] = await rowsOf(sql.update, [
        kind,
        id,
        ...envelopeParams(next),
        guard.version ?? null,
        guard.statuses ? [...guard.statuses] : null,
      ]);
      if (!row) return { applied: false, record: null };
      const record = recordFromRow<D>(row);
      if (row.applied === true) return { applied: true, record };
      // Refused, but the snapshot's row satisfies the guard: another write committed while this one waited.
      // Read the row as it stands now (a read for the answer only, not for the decision).
      if (satisfies(record, guard)) return { applied: false, record: await get<D>(kind, id) };
      return { applied: false, record };
    },

    async list<D>(kind: string, query: ListQuery) {
      const { sql: text, params } = sql.list(kind, query);
      return (await rowsOf(text, params)).map((row) => recordFromRow<D>(row));
    },

    async resolve<D>(stripeId: string) {
      const [row] = await rowsOf(sql.resolve, [stripeId]);
      return row ? recordFromRow<D>(row) : null;
    },

    async consume<D>(kind: string, id: string, now: number) {
      const [row] = await rowsOf(sql.consume, [kind, id, now]);
      return row && row.live === true ? recordFromRow<D>(row) : null;
    },

    // ---- the webhook inbox -----------------------------------------------------------------------

    async claimEvent(event, options): Promise<EventClaim> {
      const values = [
        event.id,
        event.type,
        event.account,
        event.objectId,
        event.livemode,
        event.created,
        event.payload,
        event.source,
      ];
      if (options.lease === false) {
        const [row] = await rowsOf(sql.enqueue, values);
        if (row?.state === 'processed') return { status: 'processed' };
        return { status: 'queued', created: row?.state === 'created' };
      }
      for (let attempt = 1; ; attempt++) {
        // One statement decides; the answer for a lost claim comes from the same statement.
        let [row] = await rowsOf(sql.claim, [...values, Math.max(0, Math.floor(options.leaseMs))]);
        if (row?.status === 'claimed') return { status: 'claimed', token: String(row.token), attempts: num(row.attempts) };
        // Lost to a claim that committed while this one waited (the snapshot is older than the decision): read again.
        if (row === undefined || row.takeable === true) [row] = await rowsOf(sql.claimState, [event.id]);
        if (row?.status === 'processed') return { status: 'processed' };
        if (row?.status === 'processing' && (row.takeable !== true || attempt >= CLAIM_ATTEMPTS)) {
          return { status: 'in_progress', leaseExpiresAt: num(row.lease_expires_at) };
        }
        // The holder released the event (or its new lease is already over) between the two statements: claim again.
        if (attempt >= CLAIM_ATTEMPTS) throw new Error(`could not claim event ${event.id}: its row kept changing`);
      }
    },

    async claimNextEvents({ limit, leaseMs }): Promise<ClaimedEvent[]> {
      const rows = await rowsOf(sql.claimNext, [limitOf(limit), Math.max(0, Math.floor(leaseMs))]);
      return rows
        .map((row) => ({ event: eventFromRow(row), token: String(row.token) }))
        .sort((a, b) => a.event.receivedAt - b.event.receivedAt || (a.event.id < b.event.id ? -1 : 1));
    },

    async settleEvent(eventId, token, settlement) {
      const rows = await rowsOf(sql.settle, [
        eventId,
        token,
        settlement.status,
        settlement.status === 'processed' ? null : settlement.error,
        settlement.status === 'pending' ? settlement.retryAt : null,
      ]);
      return rows.length === 1;
    },

    async listEvents(query) {
      const { sql: text, params } = sql.listEvents(query);
      return (await rowsOf(text, params)).map(eventFromRow);
    },

    async prune({ processedBefore, expiredBefore }) {
      const [row] = await rowsOf(sql.prune, [processedBefore, expiredBefore]);
      return { events: num(row?.events ?? 0), records: num(row?.records ?? 0) };
    },
  };
  return storage;
}
