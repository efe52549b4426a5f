import { MarketplaceError } from '../errors.js';

/** The table prefix used when none is given. */
export const DEFAULT_TABLE_PREFIX = 'marketplace_';

/** The highest schema version this release knows. */
export const SCHEMA_VERSION = 1;

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

/** The table names for a prefix. */
export function tableNames(prefix: string) {
  return {
    migrations: `${prefix}schema_migrations`,
    vendors: `${prefix}vendors`,
    orders: `${prefix}orders`,
    oauthStates: `${prefix}oauth_states`,
    events: `${prefix}webhook_events`,
  };
}

/**
 * The migrations, each a list of statements. Statements are idempotent (`IF NOT EXISTS`), so running a
 * migration twice, or over tables created from `schema.sql`, changes nothing.
 */
export function migrations(prefix: string): { version: number; statements: string[] }[] {
  const t = tableNames(prefix);
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
  const statements = [migrationsTableSql(tablePrefix), ...migrations(tablePrefix).flatMap((m) => m.statements)];
  const versions = migrations(tablePrefix)
    .map((m) => `(${m.version}, (extract(epoch from now()) * 1000)::bigint)`)
    .join(', ');
  statements.push(
    `INSERT INTO ${tableNames(tablePrefix).migrations} (version, applied_at) VALUES ${versions} ON CONFLICT (version) DO NOTHING`,
  );
  return `-- stripe-marketplace schema, version ${SCHEMA_VERSION}, table prefix "${tablePrefix}".\n${statements.map((s) => `${s};\n`).join('\n')}`;
}
