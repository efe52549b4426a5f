import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisputeRecord, OAuthStateRecord, OrderRecord, VendorRecord } from '../../src/core/records.js';
import { postgresSchemaSql, postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { migrations, migrationsTableSql } from '../../src/storage/postgres-schema.js';
import type { PostgresClient } from '../../src/storage/postgres-client.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from './helpers.js';

/** 2026-01-01T00:00:00Z, and times after it. */
const T0 = 1_767_225_600_000;
const FAR = T0 + 10 * 365 * 86_400_000;

const REQUIREMENTS = {
  currentlyDue: ['external_account'],
  pastDue: [],
  eventuallyDue: ['individual.verification.document'],
  pendingVerification: [],
  disabledReason: 'requirements.past_due',
  currentDeadline: 1_767_312_000,
};

/** Creates schema 1 as 0.1.0's `migrate()` left it: its tables and the row for version 1. */
async function createSchemaV1(storage: PostgresStorage): Promise<void> {
  const prefix = storage.tablePrefix;
  await storage.query(migrationsTableSql(prefix));
  const v1 = migrations(prefix).find((m) => m.version === 1);
  for (const statement of v1?.statements ?? []) await storage.query(statement);
  await storage.query(`INSERT INTO ${prefix}schema_migrations (version, applied_at) VALUES (1, $1)`, [T0]);
}

/** Writes rows of every kind with plain SQL, as 0.1.0 wrote them. */
async function writeV1Rows(storage: PostgresStorage): Promise<void> {
  const p = storage.tablePrefix;
  const vendor = `INSERT INTO ${p}vendors (vendor_id, account_id, connection, status, charges_enabled, payouts_enabled,
    details_submitted, transfers_capability, requirements, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`;
  await storage.query(vendor, [
    'v1',
    'acct_1',
    'account_link',
    'action_required',
    true,
    false,
    true,
    'active',
    JSON.stringify(REQUIREMENTS),
    T0,
    T0 + 5,
  ]);
  const noRequirements = { ...REQUIREMENTS, currentlyDue: [], disabledReason: null, currentDeadline: null };
  await storage.query(vendor, [
    'v2',
    'acct_2',
    'oauth',
    'disconnected',
    false,
    false,
    true,
    'inactive',
    JSON.stringify(noRequirements),
    T0 + 1,
    T0 + 9,
  ]);
  // An older vendor row on the same account: 0.1.0's lookup by account returned the row updated last (v2).
  await storage.query(vendor, [
    'v3',
    'acct_2',
    'oauth',
    'onboarding',
    false,
    false,
    false,
    'unrequested',
    JSON.stringify(noRequirements),
    T0 + 2,
    T0 + 2,
  ]);

  const order = `INSERT INTO ${p}orders (order_id, vendor_id, account_id, mode, amount, currency, application_fee_amount,
    vendor_amount, status, payment_intent_id, checkout_session_id, charge_id, amount_refunded, dispute,
    last_payment_error, description, metadata, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15::jsonb, $16, $17::jsonb, $18, $19)`;
  await storage.query(order, [
    'o1',
    'v1',
    'acct_1',
    'embedded',
    2000,
    'gbp',
    240,
    1760,
    'partially_refunded',
    'pi_1',
    null,
    'ch_1',
    500,
    JSON.stringify({ id: 'dp_1', status: 'needs_response', amount: 1500 }),
    null,
    'Mug',
    JSON.stringify({ cart: 'c1' }),
    T0 + 10,
    T0 + 20,
  ]);
  await storage.query(order, [
    'o2',
    'v1',
    'acct_1',
    'hosted',
    999,
    'eur',
    120,
    879,
    'failed',
    'pi_2',
    'cs_2',
    null,
    0,
    null,
    JSON.stringify({ code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' }),
    null,
    '{}',
    T0 + 11,
    T0 + 21,
  ]);
  await storage.query(order, [
    'o3',
    'v2',
    'acct_2',
    'embedded',
    50,
    'usd',
    0,
    50,
    'pending',
    null,
    null,
    null,
    0,
    null,
    null,
    null,
    '{}',
    T0 + 12,
    T0 + 12,
  ]);

  const state = `INSERT INTO ${p}oauth_states (state, vendor_id, expires_at) VALUES ($1, $2, $3)`;
  await storage.query(state, ['st_live', 'v2', FAR]);
  await storage.query(state, ['st_old', 'v2', T0]);

  const event = `INSERT INTO ${p}webhook_events (event_id, type, status, token, lease_expires_at, claimed_at, processed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  await storage.query(event, ['evt_done', 'payment_intent.succeeded', 'processed', null, 0, T0 + 30, T0 + 31]);
  await storage.query(event, ['evt_held', null, 'processing', 'tok_held', FAR, T0 + 40, null]);
}

const vendorV1: VendorRecord = {
  vendorId: 'v1',
  accountId: 'acct_1',
  connection: 'account_link',
  status: 'action_required',
  chargesEnabled: true,
  payoutsEnabled: false,
  detailsSubmitted: true,
  transfersCapability: 'active',
  requirements: REQUIREMENTS,
  createdAt: T0,
  updatedAt: T0 + 5,
};

const orderO1: OrderRecord = {
  orderId: 'o1',
  vendorId: 'v1',
  accountId: 'acct_1',
  mode: 'embedded',
  chargeType: 'destination',
  amount: 2000,
  currency: 'gbp',
  applicationFeeAmount: 240,
  vendorAmount: 1760,
  items: [
    { vendorId: 'v1', accountId: 'acct_1', amount: 2000, applicationFeeAmount: 240, vendorAmount: 1760, description: 'Mug' },
  ],
  status: 'partially_refunded',
  paymentIntentId: 'pi_1',
  checkoutSessionId: null,
  chargeId: 'ch_1',
  amountRefunded: 500,
  dispute: { id: 'dp_1', status: 'needs_response', amount: 1500 },
  lastPaymentError: null,
  description: 'Mug',
  metadata: { cart: 'c1' },
  createdAt: T0 + 10,
  updatedAt: T0 + 20,
};

const orderO2: OrderRecord = {
  orderId: 'o2',
  vendorId: 'v1',
  accountId: 'acct_1',
  mode: 'hosted',
  chargeType: 'destination',
  amount: 999,
  currency: 'eur',
  applicationFeeAmount: 120,
  vendorAmount: 879,
  items: [{ vendorId: 'v1', accountId: 'acct_1', amount: 999, applicationFeeAmount: 120, vendorAmount: 879, description: null }],
  status: 'failed',
  paymentIntentId: 'pi_2',
  checkoutSessionId: 'cs_2',
  chargeId: null,
  amountRefunded: 0,
  dispute: null,
  lastPaymentError: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  description: null,
  metadata: {},
  createdAt: T0 + 11,
  updatedAt: T0 + 21,
};

const disputeDp1: DisputeRecord = {
  disputeId: 'dp_1',
  orderId: 'o1',
  chargeId: 'ch_1',
  amount: 1500,
  currency: 'gbp',
  status: 'needs_response',
  reason: null,
  fundsWithdrawn: false,
  fundsReinstated: false,
  createdAt: T0 + 20,
  updatedAt: T0 + 20,
};

async function tablesOf(storage: PostgresStorage): Promise<string[]> {
  const { rows } = await storage.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1) ORDER BY tablename`,
    [storage.tablePrefix],
  );
  return rows.map((r) => r.tablename.slice(storage.tablePrefix.length));
}

/** The migration cases, on whichever client `client()` returns. */
function migrationTests(client: () => PostgresClient) {
  let storage: PostgresStorage;
  beforeAll(async () => {
    storage = postgresStorage({ client: client(), tablePrefix: uniquePrefix('v1') });
    await createSchemaV1(storage);
    await writeV1Rows(storage);
    await storage.migrate();
  });
  afterAll(() => dropTables(storage));

  it('replaces the schema-1 tables with schema 2 and records version 2', async () => {
    expect(await tablesOf(storage)).toEqual(['inbox', 'records', 'refs', 'schema_migrations']);
    const { rows } = await storage.query<{ version: number }>(
      `SELECT version FROM ${storage.tablePrefix}schema_migrations ORDER BY 1`,
    );
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it('keeps vendors as vendor records resolved by their account', async () => {
    expect(await storage.get('vendor', 'v1')).toEqual({
      kind: 'vendor',
      id: 'v1',
      version: 1,
      status: 'action_required',
      index: null,
      refs: ['acct_1'],
      expiresAt: null,
      createdAt: T0,
      data: vendorV1,
    });
    expect((await storage.get<VendorRecord>('vendor', 'v2'))?.data).toEqual({
      ...vendorV1,
      vendorId: 'v2',
      accountId: 'acct_2',
      connection: 'oauth',
      status: 'disconnected',
      chargesEnabled: false,
      transfersCapability: 'inactive',
      requirements: { ...REQUIREMENTS, currentlyDue: [], disabledReason: null, currentDeadline: null },
      createdAt: T0 + 1,
      updatedAt: T0 + 9,
    });
    expect((await storage.resolve('acct_1'))?.id).toBe('v1');
    // Two schema-1 vendors on one account: the account resolves to the one 0.1.0 returned (updated last).
    expect((await storage.resolve('acct_2'))?.id).toBe('v2');
    expect((await storage.get('vendor', 'v3'))?.refs).toEqual(['acct_2']);
    expect((await storage.list('vendor', { limit: 10 })).map((r) => r.id)).toEqual(['v3', 'v2', 'v1']);
    expect((await storage.list('vendor', { statuses: ['disconnected'], limit: 10 })).map((r) => r.id)).toEqual(['v2']);
  });

  it('keeps orders as one-item destination orders, listed by vendor and resolved by every Stripe id', async () => {
    expect(await storage.get('order', 'o1')).toEqual({
      kind: 'order',
      id: 'o1',
      version: 1,
      status: 'partially_refunded',
      index: 'v1',
      refs: ['pi_1', 'ch_1'],
      expiresAt: null,
      createdAt: T0 + 10,
      data: orderO1,
    });
    const o2 = await storage.get<OrderRecord>('order', 'o2');
    expect(o2?.data).toEqual(orderO2);
    expect(o2?.refs).toEqual(['pi_2', 'cs_2']);
    const o3 = await storage.get<OrderRecord>('order', 'o3');
    expect(o3?.refs).toEqual([]);
    expect(o3?.data.items).toEqual([
      { vendorId: 'v2', accountId: 'acct_2', amount: 50, applicationFeeAmount: 0, vendorAmount: 50, description: null },
    ]);
    for (const [stripeId, orderId] of [
      ['pi_1', 'o1'],
      ['ch_1', 'o1'],
      ['pi_2', 'o2'],
      ['cs_2', 'o2'],
    ]) {
      expect(await storage.resolve(stripeId as string), stripeId).toMatchObject({ kind: 'order', id: orderId });
    }
    expect((await storage.list('order', { index: 'v1', limit: 10 })).map((r) => r.id)).toEqual(['o2', 'o1']);
    expect((await storage.list('order', { index: 'v2', limit: 10 })).map((r) => r.data)).toEqual([o3?.data]);
  });

  it('makes a dispute record of an order dispute', async () => {
    expect(await storage.get('dispute', 'dp_1')).toEqual({
      kind: 'dispute',
      id: 'dp_1',
      version: 1,
      status: 'needs_response',
      index: 'o1',
      refs: ['dp_1'],
      expiresAt: null,
      createdAt: T0 + 20,
      data: disputeDp1,
    });
    expect((await storage.resolve('dp_1'))?.data).toEqual(disputeDp1);
    expect((await storage.list('dispute', { index: 'o1', limit: 10 })).map((r) => r.id)).toEqual(['dp_1']);
    expect(await storage.list('dispute', { index: 'o2', limit: 10 })).toEqual([]);
  });

  it('keeps OAuth states single-use and expiring', async () => {
    const live: OAuthStateRecord = { state: 'st_live', vendorId: 'v2', expiresAt: FAR };
    expect((await storage.list('oauth_state', { index: 'v2', limit: 10 })).map((r) => r.id).sort()).toEqual([
      'st_live',
      'st_old',
    ]);
    expect(await storage.consume('oauth_state', 'st_live', T0 + 100)).toEqual({
      kind: 'oauth_state',
      id: 'st_live',
      version: 1,
      status: 'issued',
      index: 'v2',
      refs: [],
      expiresAt: FAR,
      createdAt: FAR,
      data: live,
    });
    expect(await storage.consume('oauth_state', 'st_live', T0 + 100)).toBeNull();
    expect(await storage.consume('oauth_state', 'st_old', T0 + 100)).toBeNull();
    expect(await storage.get('oauth_state', 'st_old')).toBeNull();
  });

  it('keeps webhook events in the inbox: processed stays processed, a held lease stays held', async () => {
    expect(await storage.listEvents({ limit: 10 })).toEqual([
      {
        id: 'evt_done',
        type: 'payment_intent.succeeded',
        account: null,
        objectId: null,
        livemode: false,
        created: Math.floor((T0 + 30) / 1000),
        payload: null,
        source: 'delivery',
        status: 'processed',
        attempts: 1,
        lastError: null,
        receivedAt: T0 + 30,
        nextAttemptAt: null,
        leaseExpiresAt: null,
        processedAt: T0 + 31,
      },
      {
        id: 'evt_held',
        type: '',
        account: null,
        objectId: null,
        livemode: false,
        created: Math.floor((T0 + 40) / 1000),
        payload: null,
        source: 'delivery',
        status: 'processing',
        attempts: 1,
        lastError: null,
        receivedAt: T0 + 40,
        nextAttemptAt: null,
        leaseExpiresAt: FAR,
        processedAt: null,
      },
    ]);
    const input = {
      type: 'payment_intent.succeeded',
      account: null,
      objectId: 'pi_1',
      livemode: false,
      created: 1,
      payload: '{}',
      source: 'delivery',
    } as const;
    expect(await storage.claimEvent({ ...input, id: 'evt_done' }, { leaseMs: 60_000 })).toEqual({ status: 'processed' });
    expect(await storage.claimEvent({ ...input, id: 'evt_held' }, { leaseMs: 60_000 })).toEqual({
      status: 'in_progress',
      leaseExpiresAt: FAR,
    });
    // The lease holder (0.1.0's token) can still settle it.
    expect(await storage.settleEvent('evt_held', 'tok_held', { status: 'processed' })).toBe(true);
  });

  it('is idempotent: migrating again, or running the upgrade again, changes nothing', async () => {
    const snapshot = async () => [
      (await storage.query(`SELECT * FROM ${storage.tablePrefix}records ORDER BY kind, id`)).rows,
      (await storage.query(`SELECT * FROM ${storage.tablePrefix}refs ORDER BY stripe_id`)).rows,
      (await storage.query(`SELECT * FROM ${storage.tablePrefix}inbox ORDER BY event_id`)).rows,
    ];
    const before = await snapshot();
    await storage.migrate();
    const v2 = migrations(storage.tablePrefix).find((m) => m.version === 2);
    for (const statement of [...(v2?.statements ?? []), ...(v2?.upgrade ?? [])]) await storage.query(statement);
    expect(await snapshot()).toEqual(before);
  });
}

describe('migration from schema 1 (0.1.0) on PGlite', () => {
  const lite = new PGlite();
  afterAll(() => lite.close());
  migrationTests(() => lite);

  it('also runs from schema.sql, for teams that apply the shipped SQL instead of migrate()', async () => {
    const storage = postgresStorage({ client: lite, tablePrefix: uniquePrefix('v1sql') });
    await createSchemaV1(storage);
    await writeV1Rows(storage);
    await lite.exec(postgresSchemaSql(storage.tablePrefix));
    await lite.exec(postgresSchemaSql(storage.tablePrefix));
    expect(await tablesOf(storage)).toEqual(['inbox', 'records', 'refs', 'schema_migrations']);
    expect((await storage.get<OrderRecord>('order', 'o1'))?.data).toEqual(orderO1);
    expect((await storage.resolve<VendorRecord>('acct_1'))?.data).toEqual(vendorV1);
    expect((await storage.get<DisputeRecord>('dispute', 'dp_1'))?.data).toEqual(disputeDp1);
    await storage.migrate();
    expect(await tablesOf(storage)).toEqual(['inbox', 'records', 'refs', 'schema_migrations']);
    await dropTables(storage);
  });

  it('rolls back entirely when the upgrade fails, leaving schema 1 and its rows', async () => {
    const storage = postgresStorage({ client: lite, tablePrefix: uniquePrefix('v1fail') });
    await createSchemaV1(storage);
    await writeV1Rows(storage);
    // A dispute without an id cannot become a dispute record (its id is the primary key).
    await storage.query(
      `UPDATE ${storage.tablePrefix}orders SET dispute = '{"status": "won", "amount": 1}' WHERE order_id = 'o3'`,
    );
    await expect(storage.migrate()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(await tablesOf(storage)).toEqual(['oauth_states', 'orders', 'schema_migrations', 'vendors', 'webhook_events']);
    expect((await storage.query(`SELECT count(*)::int AS n FROM ${storage.tablePrefix}orders`)).rows).toEqual([{ n: 3 }]);
    await dropTables(storage);
  });
});

describe.skipIf(!SERVER_REQUIRED)('migration from schema 1 (0.1.0) on the PostgreSQL server', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = serverPool(4);
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());
  migrationTests(() => pool);

  it('copies each row once when 6 processes (pools) migrate the same schema-1 database at once', async () => {
    const prefix = uniquePrefix('v1race');
    const setup = postgresStorage({ client: pool, tablePrefix: prefix });
    await createSchemaV1(setup);
    await writeV1Rows(setup);
    const pools = Array.from({ length: 6 }, () => serverPool(2));
    try {
      await Promise.all(pools.map((p) => postgresStorage({ client: p, tablePrefix: prefix }).migrate()));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const count = async (table: string) =>
      (await setup.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${prefix}${table}`)).rows[0]?.n;
    expect([await count('records'), await count('refs'), await count('inbox')]).toEqual([9, 7, 2]);
    expect((await setup.get<OrderRecord>('order', 'o1'))?.data).toEqual(orderO1);
    await dropTables(setup);
  });
});
