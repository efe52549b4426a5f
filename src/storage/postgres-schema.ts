import { MarketplaceError } from '../errors.js';

/** The table prefix used when none is given. */
export const DEFAULT_TABLE_PREFIX = 'marketplace_';

/** The highest schema version this release knows. */
export const SCHEMA_VERSION = 2;

const PREFIX_PATTERN = /^[a-z_][a-z0-9_]{0,31}$/;

/** Checks a table prefix: lower-case letters, digits and `_`, starting with a letter or `_`, at most 32 characters. */
export function assertTablePrefix(prefix: unknown, context: string): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new MarketplaceError(
      'INVALID_OPTIONS',
      `${context}: tablePrefix must be lower-case letters, digits and "_", start with a letter or "_", and be at most 32 characters`,
      { details: { param: 'tablePrefix' } },
    );
  }
}

/** The table names for a prefix: schema 2's, and schema 1's (0.1.0), which migration 2 copies and drops. */
export function tableNames(prefix: string) {
  return {
    migrations: `${prefix}schema_migrations`,
    records: `${prefix}records`,
    refs: `${prefix}refs`,
    inbox: `${prefix}inbox`,
    v1: {
      vendors: `${prefix}vendors`,
      orders: `${prefix}orders`,
      oauthStates: `${prefix}oauth_states`,
      events: `${prefix}webhook_events`,
    },
  };
}

/** The database's clock in milliseconds since the epoch (leases, receipt and processing times). */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** One schema migration: `statements` create what the schema has; `upgrade` moves older rows into it. */
export interface Migration {
  readonly version: number;
  readonly statements: readonly string[];
  readonly upgrade?: readonly string[];
}

/**
 * The migrations, each a list of statements. Statements are idempotent (`IF NOT EXISTS`, and upgrades that
 * skip rows already copied), so running a migration twice, or over tables created from `schema.sql`, changes
 * nothing. Migration 1 is the 0.1.0 schema; migration 2 moves its rows into schema 2 and drops it.
 */
export function migrations(prefix: string): Migration[] {
  const t = tableNames(prefix).v1;
  return [
    {
      version: 1,
      statements: [
        `CREATE TABLE IF NOT EXISTS ${t.vendors} (
  vendor_id text PRIMARY KEY,
  account_id text NOT NULL,
  connection text NOT NULL,
  status text NOT NULL,
  charges_enabled boolean NOT NULL,
  payouts_enabled boolean NOT NULL,
  details_submitted boolean NOT NULL,
  transfers_capability text NOT NULL,
  requirements jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
)`,
        `CREATE INDEX IF NOT EXISTS ${prefix}vendors_account_idx ON ${t.vendors} (account_id, updated_at DESC)`,
        `CREATE INDEX IF NOT EXISTS ${prefix}vendors_created_idx ON ${t.vendors} (created_at DESC, vendor_id COLLATE "C" DESC)`,
        `CREATE TABLE IF NOT EXISTS ${t.orders} (
  order_id text PRIMARY KEY,
  vendor_id text NOT NULL,
  account_id text NOT NULL,
  mode text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL,
  application_fee_amount bigint NOT NULL,
  vendor_amount bigint NOT NULL,
  status text NOT NULL,
  payment_intent_id text,
  checkout_session_id text,
  charge_id text,
  amount_refunded bigint NOT NULL DEFAULT 0,
  dispute jsonb,
  last_payment_error jsonb,
  description text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
)`,
        `CREATE INDEX IF NOT EXISTS ${prefix}orders_payment_intent_idx ON ${t.orders} (payment_intent_id) WHERE payment_intent_id IS NOT NULL`,
        `CREATE INDEX IF NOT EXISTS ${prefix}orders_checkout_session_idx ON ${t.orders} (checkout_session_id) WHERE checkout_session_id IS NOT NULL`,
        `CREATE INDEX IF NOT EXISTS ${prefix}orders_created_idx ON ${t.orders} (created_at DESC, order_id COLLATE "C" DESC)`,
        `CREATE INDEX IF NOT EXISTS ${prefix}orders_vendor_created_idx ON ${t.orders} (vendor_id, created_at DESC, order_id COLLATE "C" DESC)`,
        `CREATE TABLE IF NOT EXISTS ${t.oauthStates} (
  state text PRIMARY KEY,
  vendor_id text NOT NULL,
  expires_at bigint NOT NULL
)`,
        `CREATE TABLE IF NOT EXISTS ${t.events} (
  event_id text PRIMARY KEY,
  type text,
  status text NOT NULL CHECK (status IN ('processing', 'processed')),
  token text,
  lease_expires_at bigint NOT NULL,
  claimed_at bigint NOT NULL,
  processed_at bigint
)`,
      ],
    },
    { version: 2, statements: schemaV2(prefix), upgrade: upgradeFromV1(prefix) },
  ];
}

/** Schema 2: records of every kind, the Stripe id index, and the webhook inbox. */
function schemaV2(prefix: string): string[] {
  const t = tableNames(prefix);
  return [
    `CREATE TABLE IF NOT EXISTS ${t.records} (
  kind text NOT NULL,
  id text NOT NULL,
  version integer NOT NULL,
  status text NOT NULL,
  index_key text,
  refs text[] NOT NULL DEFAULT '{}',
  expires_at bigint,
  created_at bigint NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (kind, id)
)`,
    `CREATE INDEX IF NOT EXISTS ${prefix}records_list_idx ON ${t.records} (kind, index_key, created_at DESC, id COLLATE "C" DESC)`,
    `CREATE INDEX IF NOT EXISTS ${prefix}records_status_idx ON ${t.records} (kind, status, created_at DESC, id COLLATE "C" DESC)`,
    `CREATE INDEX IF NOT EXISTS ${prefix}records_expiry_idx ON ${t.records} (expires_at) WHERE expires_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${t.refs} (
  stripe_id text PRIMARY KEY,
  kind text NOT NULL,
  id text NOT NULL,
  FOREIGN KEY (kind, id) REFERENCES ${t.records} (kind, id) ON DELETE CASCADE
)`,
    `CREATE INDEX IF NOT EXISTS ${prefix}refs_record_idx ON ${t.refs} (kind, id)`,
    `CREATE TABLE IF NOT EXISTS ${t.inbox} (
  event_id text PRIMARY KEY,
  type text NOT NULL,
  account text,
  object_id text,
  livemode boolean NOT NULL,
  created bigint NOT NULL,
  payload text,
  source text NOT NULL CHECK (source IN ('delivery', 'replay', 'backfill')),
  status text NOT NULL CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
  attempts integer NOT NULL,
  last_error text,
  token text,
  received_at bigint NOT NULL,
  next_attempt_at bigint,
  lease_expires_at bigint,
  processed_at bigint
)`,
    `CREATE INDEX IF NOT EXISTS ${prefix}inbox_due_idx ON ${t.inbox} (received_at, event_id COLLATE "C") WHERE status IN ('pending', 'processing')`,
    `CREATE INDEX IF NOT EXISTS ${prefix}inbox_received_idx ON ${t.inbox} (received_at, event_id COLLATE "C")`,
    `CREATE INDEX IF NOT EXISTS ${prefix}inbox_status_idx ON ${t.inbox} (status, received_at, event_id COLLATE "C")`,
    `CREATE INDEX IF NOT EXISTS ${prefix}inbox_processed_idx ON ${t.inbox} (processed_at) WHERE status = 'processed'`,
  ];
}

/**
 * Moves schema 1's rows into schema 2, then drops schema 1's tables, in `migrate()`'s transaction (under
 * its advisory lock). When schema 1's tables are gone it does nothing, and every insert skips rows that are
 * already there, so a second run changes nothing.
 *
 * A Stripe id that several schema-1 rows carry resolves to the row 0.1.0's lookups returned: the one
 * updated last.
 */
function upgradeFromV1(prefix: string): string[] {
  const t = tableNames(prefix);
  const v1 = t.v1;
  const link = (ids: string, kind: string, id: string, from: string, where = 'true') =>
    `INSERT INTO ${t.refs} (stripe_id, kind, id)
SELECT DISTINCT ON (stripe_id) stripe_id, '${kind}', ${id}
FROM ${from}, unnest(${ids}) AS stripe_id
WHERE stripe_id IS NOT NULL AND ${where}
ORDER BY stripe_id, updated_at DESC
ON CONFLICT (stripe_id) DO NOTHING`;
  const statements = [
    `INSERT INTO ${t.records} (kind, id, version, status, index_key, refs, expires_at, created_at, data)
SELECT 'vendor', vendor_id, 1, status, NULL, ARRAY[account_id], NULL, created_at, jsonb_build_object(
  'vendorId', vendor_id, 'accountId', account_id, 'connection', connection, 'status', status,
  'chargesEnabled', charges_enabled, 'payoutsEnabled', payouts_enabled, 'detailsSubmitted', details_submitted,
  'transfersCapability', transfers_capability, 'requirements', requirements,
  'createdAt', created_at, 'updatedAt', updated_at)
FROM ${v1.vendors}
ON CONFLICT (kind, id) DO NOTHING`,
    link('ARRAY[account_id]', 'vendor', 'vendor_id', v1.vendors),
    `INSERT INTO ${t.records} (kind, id, version, status, index_key, refs, expires_at, created_at, data)
SELECT 'order', order_id, 1, status, vendor_id,
  array_remove(ARRAY[payment_intent_id, checkout_session_id, charge_id], NULL), NULL, created_at, jsonb_build_object(
  'orderId', order_id, 'vendorId', vendor_id, 'accountId', account_id, 'mode', mode, 'chargeType', 'destination',
  'amount', amount, 'currency', currency, 'applicationFeeAmount', application_fee_amount, 'vendorAmount', vendor_amount,
  'items', jsonb_build_array(jsonb_build_object(
    'vendorId', vendor_id, 'accountId', account_id, 'amount', amount, 'applicationFeeAmount', application_fee_amount,
    'vendorAmount', vendor_amount, 'description', description)),
  'status', status, 'paymentIntentId', payment_intent_id, 'checkoutSessionId', checkout_session_id,
  'chargeId', charge_id, 'amountRefunded', amount_refunded, 'dispute', dispute,
  'lastPaymentError', last_payment_error, 'description', description, 'metadata', metadata,
  'createdAt', created_at, 'updatedAt', updated_at)
FROM ${v1.orders}
ON CONFLICT (kind, id) DO NOTHING`,
    link('ARRAY[payment_intent_id, checkout_session_id, charge_id]', 'order', 'order_id', v1.orders),
    `INSERT INTO ${t.records} (kind, id, version, status, index_key, refs, expires_at, created_at, data)
SELECT 'dispute', dispute->>'id', 1, dispute->>'status', order_id, ARRAY[dispute->>'id'], NULL, updated_at,
  jsonb_build_object(
  'disputeId', dispute->>'id', 'orderId', order_id, 'chargeId', charge_id, 'amount', dispute->'amount',
  'currency', currency, 'status', dispute->>'status', 'reason', NULL, 'fundsWithdrawn', false,
  'fundsReinstated', false, 'createdAt', updated_at, 'updatedAt', updated_at)
FROM ${v1.orders}
WHERE dispute IS NOT NULL AND jsonb_typeof(dispute) = 'object'
ON CONFLICT (kind, id) DO NOTHING`,
    link(`ARRAY[dispute->>'id']`, 'dispute', `dispute->>'id'`, v1.orders, `jsonb_typeof(dispute) = 'object'`),
    `INSERT INTO ${t.records} (kind, id, version, status, index_key, refs, expires_at, created_at, data)
SELECT 'oauth_state', state, 1, 'issued', vendor_id, '{}', expires_at, expires_at,
  jsonb_build_object('state', state, 'vendorId', vendor_id, 'expiresAt', expires_at)
FROM ${v1.oauthStates}
ON CONFLICT (kind, id) DO NOTHING`,
    `INSERT INTO ${t.inbox} (event_id, type, account, object_id, livemode, created, payload, source, status, attempts,
  last_error, token, received_at, next_attempt_at, lease_expires_at, processed_at)
SELECT event_id, COALESCE(type, ''), NULL, NULL, false, claimed_at / 1000, NULL, 'delivery', status, 1,
  NULL, CASE WHEN status = 'processing' THEN token END, claimed_at, NULL,
  CASE WHEN status = 'processing' THEN lease_expires_at END, processed_at
FROM ${v1.events}
ON CONFLICT (event_id) DO NOTHING`,
    `DROP TABLE ${v1.events}, ${v1.oauthStates}, ${v1.orders}, ${v1.vendors}`,
  ];
  // One statement that does nothing when schema 1's tables are gone (or never existed): `schema.sql` carries it too.
  return [
    `DO $upgrade$ BEGIN
IF to_regclass('${v1.vendors}') IS NOT NULL THEN
${statements.map((statement) => `EXECUTE $sql$${statement}$sql$;`).join('\n')}
END IF;
END $upgrade$`,
  ];
}

/** The table that records which migrations ran. */
export function migrationsTableSql(prefix: string): string {
  return `CREATE TABLE IF NOT EXISTS ${tableNames(prefix).migrations} (
  version integer PRIMARY KEY,
  applied_at bigint NOT NULL
)`;
}

/**
 * The complete schema as SQL, for teams that run their own migrations: the same tables `migrate()` creates,
 * and the row that tells `migrate()` they exist. Safe to run more than once.
 */
export function postgresSchemaSql(tablePrefix: string = DEFAULT_TABLE_PREFIX): string {
  assertTablePrefix(tablePrefix, 'postgresSchemaSql(tablePrefix)');
  const all = migrations(tablePrefix);
  // The latest schema, and the upgrade of a schema-1 database (a no-op on any other).
  const statements = [
    migrationsTableSql(tablePrefix),
    ...all.filter((m) => m.version === SCHEMA_VERSION).flatMap((m) => [...m.statements, ...(m.upgrade ?? [])]),
  ];
  const versions = all.map((m) => `(${m.version}, (extract(epoch from now()) * 1000)::bigint)`).join(', ');
  statements.push(
    `INSERT INTO ${tableNames(tablePrefix).migrations} (version, applied_at) VALUES ${versions} ON CONFLICT (version) DO NOTHING`,
  );
  return `-- stripe-marketplace schema, version ${SCHEMA_VERSION}, table prefix "${tablePrefix}".\n${statements.map((s) => `${s};\n`).join('\n')}`;
}
