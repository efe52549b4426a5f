import { MarketplaceError, storageError } from '../errors.js';
import { randomToken } from '../util/random.js';
import { sqlExecutor, type PostgresClient, type SqlExecutor, type SqlResult } from './postgres-client.js';
import { assertTablePrefix, DEFAULT_TABLE_PREFIX, migrations, migrationsTableSql, tableNames } from './postgres-schema.js';
import type {
  EventClaim,
  ListOrdersOptions,
  ListVendorsOptions,
  MarketplaceStorage,
  OAuthStateRecord,
  OrderPatch,
  OrderRecord,
  OrderUpdate,
  OrderUpdateResult,
  VendorRecord,
  VendorState,
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

/** How often `claimEvent` retries when the row it lost to disappears between its two statements. */
const CLAIM_ATTEMPTS = 5;

type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** A list's LIMIT: the option, or 100. */
const limitOf = (limit: number | undefined): number => Math.max(0, Math.floor(limit ?? 100));

function vendorFromRow(row: Row): VendorRecord {
  return {
    vendorId: String(row.vendor_id),
    accountId: String(row.account_id),
    connection: row.connection as VendorRecord['connection'],
    status: row.status as VendorRecord['status'],
    chargesEnabled: row.charges_enabled === true,
    payoutsEnabled: row.payouts_enabled === true,
    detailsSubmitted: row.details_submitted === true,
    transfersCapability: row.transfers_capability as VendorRecord['transfersCapability'],
    requirements: row.requirements as VendorRecord['requirements'],
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

function orderFromRow(row: Row): OrderRecord {
  return {
    orderId: String(row.order_id),
    vendorId: String(row.vendor_id),
    accountId: String(row.account_id),
    mode: row.mode as OrderRecord['mode'],
    amount: num(row.amount),
    currency: String(row.currency),
    applicationFeeAmount: num(row.application_fee_amount),
    vendorAmount: num(row.vendor_amount),
    status: row.status as OrderRecord['status'],
    paymentIntentId: text(row.payment_intent_id),
    checkoutSessionId: text(row.checkout_session_id),
    chargeId: text(row.charge_id),
    amountRefunded: num(row.amount_refunded),
    dispute: (row.dispute ?? null) as OrderRecord['dispute'],
    lastPaymentError: (row.last_payment_error ?? null) as OrderRecord['lastPaymentError'],
    description: text(row.description),
    metadata: (row.metadata ?? {}) as OrderRecord['metadata'],
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** `OrderPatch` keys and their columns; jsonb columns are written from JSON text. */
const PATCH_COLUMNS: readonly (readonly [keyof OrderPatch, string, 'text' | 'jsonb'])[] = [
  ['paymentIntentId', 'payment_intent_id', 'text'],
  ['checkoutSessionId', 'checkout_session_id', 'text'],
  ['chargeId', 'charge_id', 'text'],
  ['dispute', 'dispute', 'jsonb'],
  ['lastPaymentError', 'last_payment_error', 'jsonb'],
];

/**
 * Storage in PostgreSQL, through `pg` (a Pool or a Client) or PGlite. Neither driver is imported: pass your
 * own client. Every guarantee of the storage contract is one statement or one transaction.
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

function bind(db: SqlExecutor, prefix: string): PostgresStorage {
  const t = tableNames(prefix);

  const one = async <T>(sql: string, params: readonly unknown[], map: (row: Row) => T): Promise<T | null> => {
    const { rows } = await db.query<Row>(sql, params);
    return rows[0] ? map(rows[0]) : null;
  };
  const getVendor = (vendorId: string) => one(`SELECT * FROM ${t.vendors} WHERE vendor_id = $1`, [vendorId], vendorFromRow);
  const getOrder = (orderId: string) => one(`SELECT * FROM ${t.orders} WHERE order_id = $1`, [orderId], orderFromRow);
  const mustExist = <T>(record: T | null, what: string): T => {
    // Rows are never deleted by the library; a winner that vanished was deleted by someone else.
    if (record === null) throw new Error(`the ${what} that won the insert was deleted before it could be read`);
    return record;
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
            for (const statement of migration.statements) await tx.query(statement);
            await tx.query(`INSERT INTO ${t.migrations} (version, applied_at) VALUES ($1, $2)`, [migration.version, Date.now()]);
          }
        });
      } catch (error) {
        throw storageError('migrate the PostgreSQL schema', error);
      }
    },

    query: (sql, params) => db.query(sql, params),

    transaction: (fn) => db.transaction((tx) => fn(bind(tx, prefix))),

    // ---- vendors ---------------------------------------------------------------------------------

    getVendor,

    getVendorByAccount: (accountId) =>
      one(`SELECT * FROM ${t.vendors} WHERE account_id = $1 ORDER BY updated_at DESC LIMIT 1`, [accountId], vendorFromRow),

    async listVendors(options: ListVendorsOptions = {}) {
      const { rows } = await db.query<Row>(
        `SELECT * FROM ${t.vendors} WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
         ORDER BY created_at DESC, vendor_id COLLATE "C" DESC LIMIT $2`,
        [options.statuses ? [...options.statuses] : null, limitOf(options.limit)],
      );
      return rows.map(vendorFromRow);
    },

    async insertVendor(vendor) {
      const inserted = await one(
        `INSERT INTO ${t.vendors} (vendor_id, account_id, connection, status, charges_enabled, payouts_enabled,
           details_submitted, transfers_capability, requirements, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
         ON CONFLICT (vendor_id) DO NOTHING RETURNING *`,
        [
          vendor.vendorId,
          vendor.accountId,
          vendor.connection,
          vendor.status,
          vendor.chargesEnabled,
          vendor.payoutsEnabled,
          vendor.detailsSubmitted,
          vendor.transfersCapability,
          json(vendor.requirements),
          vendor.createdAt,
          vendor.updatedAt,
        ],
        vendorFromRow,
      );
      if (inserted) return { created: true, vendor: inserted };
      return { created: false, vendor: mustExist(await getVendor(vendor.vendorId), 'vendor') };
    },

    updateVendor(
      vendorId,
      state: VendorState & { accountId?: string; connection?: VendorRecord['connection'] },
      now = Date.now(),
    ) {
      return one(
        `UPDATE ${t.vendors} SET status = $2, charges_enabled = $3, payouts_enabled = $4, details_submitted = $5,
           transfers_capability = $6, requirements = $7::jsonb, account_id = COALESCE($8, account_id),
           connection = COALESCE($9, connection), updated_at = $10
         WHERE vendor_id = $1 RETURNING *`,
        [
          vendorId,
          state.status,
          state.chargesEnabled,
          state.payoutsEnabled,
          state.detailsSubmitted,
          state.transfersCapability,
          json(state.requirements),
          state.accountId ?? null,
          state.connection ?? null,
          now,
        ],
        vendorFromRow,
      );
    },

    // ---- orders ----------------------------------------------------------------------------------

    getOrder,

    getOrderByPaymentIntent: (paymentIntentId) =>
      one(
        `SELECT * FROM ${t.orders} WHERE payment_intent_id = $1 ORDER BY updated_at DESC LIMIT 1`,
        [paymentIntentId],
        orderFromRow,
      ),

    getOrderByCheckoutSession: (sessionId) =>
      one(`SELECT * FROM ${t.orders} WHERE checkout_session_id = $1 ORDER BY updated_at DESC LIMIT 1`, [sessionId], orderFromRow),

    async listOrders(options: ListOrdersOptions = {}) {
      const { rows } = await db.query<Row>(
        `SELECT * FROM ${t.orders} WHERE ($1::text IS NULL OR vendor_id = $1::text)
         ORDER BY created_at DESC, order_id COLLATE "C" DESC LIMIT $2`,
        [options.vendorId ?? null, limitOf(options.limit)],
      );
      return rows.map(orderFromRow);
    },

    async insertOrder(order) {
      const inserted = await one(
        `INSERT INTO ${t.orders} (order_id, vendor_id, account_id, mode, amount, currency, application_fee_amount,
           vendor_amount, status, payment_intent_id, checkout_session_id, charge_id, amount_refunded, dispute,
           last_payment_error, description, metadata, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17::jsonb, $18, $19)
         ON CONFLICT (order_id) DO NOTHING RETURNING *`,
        [
          order.orderId,
          order.vendorId,
          order.accountId,
          order.mode,
          order.amount,
          order.currency,
          order.applicationFeeAmount,
          order.vendorAmount,
          order.status,
          order.paymentIntentId,
          order.checkoutSessionId,
          order.chargeId,
          order.amountRefunded,
          json(order.dispute),
          json(order.lastPaymentError),
          order.description,
          json(order.metadata ?? {}),
          order.createdAt,
          order.updatedAt,
        ],
        orderFromRow,
      );
      if (inserted) return { created: true, order: inserted };
      return { created: false, order: mustExist(await getOrder(order.orderId), 'order') };
    },

    async updateOrder(orderId, update: OrderUpdate): Promise<OrderUpdateResult> {
      const patch = update.patch ?? {};
      const params: unknown[] = [orderId, update.now ?? Date.now(), patch.amountRefunded ?? 0];
      const sets = ['updated_at = $2', 'amount_refunded = GREATEST(amount_refunded, $3::bigint)'];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (update.status !== undefined) sets.push(`status = ${param(update.status)}`);
      for (const [key, column, type] of PATCH_COLUMNS) {
        const value = patch[key];
        if (value === undefined) continue;
        sets.push(type === 'jsonb' ? `${column} = ${param(json(value))}::jsonb` : `${column} = ${param(value)}`);
      }
      const condition = update.from ? ` AND status = ANY(${param([...update.from])}::text[])` : '';
      const updated = await one(
        `UPDATE ${t.orders} SET ${sets.join(', ')} WHERE order_id = $1${condition} RETURNING *`,
        params,
        orderFromRow,
      );
      if (updated) return { applied: true, order: updated };
      // Not applied: report the order as it stands now (a read only for the answer, not for the decision).
      return { applied: false, order: await getOrder(orderId) };
    },

    // ---- OAuth states ----------------------------------------------------------------------------

    async saveOAuthState(record) {
      await db.query(`INSERT INTO ${t.oauthStates} (state, vendor_id, expires_at) VALUES ($1, $2, $3)`, [
        record.state,
        record.vendorId,
        record.expiresAt,
      ]);
    },

    async consumeOAuthState(state, now) {
      // The DELETE decides: exactly one caller deletes the row. An expired state is deleted too.
      const record = await one(
        `DELETE FROM ${t.oauthStates} WHERE state = $1 RETURNING state, vendor_id, expires_at`,
        [state],
        (row): OAuthStateRecord => ({
          state: String(row.state),
          vendorId: String(row.vendor_id),
          expiresAt: num(row.expires_at),
        }),
      );
      return record && record.expiresAt > now ? record : null;
    },

    // ---- webhook events --------------------------------------------------------------------------

    async claimEvent(eventId, { leaseMs, now, type }): Promise<EventClaim> {
      for (let attempt = 1; ; attempt++) {
        const token = randomToken();
        // One statement decides: a new row, or the takeover of a processing row whose lease has expired.
        const { rows } = await db.query<Row>(
          `INSERT INTO ${t.events} AS e (event_id, type, status, token, lease_expires_at, claimed_at)
           VALUES ($1, $2, 'processing', $3, $4, $5)
           ON CONFLICT (event_id) DO UPDATE
             SET token = EXCLUDED.token, lease_expires_at = EXCLUDED.lease_expires_at, claimed_at = EXCLUDED.claimed_at,
                 type = COALESCE(EXCLUDED.type, e.type)
             WHERE e.status = 'processing' AND e.lease_expires_at <= $5
           RETURNING e.token`,
          [eventId, type ?? null, token, now + leaseMs, now],
        );
        if (rows[0]?.token === token) return { status: 'claimed', token };
        const current = await one(`SELECT status, lease_expires_at FROM ${t.events} WHERE event_id = $1`, [eventId], (row) => ({
          status: String(row.status),
          leaseExpiresAt: num(row.lease_expires_at),
        }));
        if (current?.status === 'processed') return { status: 'processed' };
        if (current && (current.leaseExpiresAt > now || attempt >= CLAIM_ATTEMPTS)) {
          return { status: 'in_progress', leaseExpiresAt: current.leaseExpiresAt };
        }
        // The holder released the event (or its new lease is already over) between the two statements.
        if (attempt >= CLAIM_ATTEMPTS) throw new Error(`could not claim event ${eventId}: its row kept changing`);
      }
    },

    async completeEvent(eventId, token, now) {
      const { rows } = await db.query(
        `UPDATE ${t.events} SET status = 'processed', token = NULL, lease_expires_at = 0, processed_at = $3
         WHERE event_id = $1 AND status = 'processing' AND token = $2 RETURNING 1 AS done`,
        [eventId, token, now],
      );
      return rows.length === 1;
    },

    async releaseEvent(eventId, token) {
      const { rows } = await db.query(
        `DELETE FROM ${t.events} WHERE event_id = $1 AND status = 'processing' AND token = $2 RETURNING 1 AS done`,
        [eventId, token],
      );
      return rows.length === 1;
    },
  };
  return storage;
}
