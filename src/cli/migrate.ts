import { SCHEMA_VERSION } from '../storage/postgres-schema.js';
import type { PostgresStorage } from '../storage/postgres.js';
import { type Io, parse } from './args.js';
import { DATABASE_HELP, DATABASE_OPTIONS, openDatabase } from './connect.js';

export const MIGRATE_HELP = `Usage: stripe-marketplace migrate --database-url <url> [--table-prefix <p>]

Creates or upgrades the library's PostgreSQL tables (postgresStorage(...).migrate()). Idempotent, and safe
to run from several processes at once. Prints the schema version before and after.

Options:
${DATABASE_HELP}
  -h, --help             Show this help`;

/** The highest applied migration, or 0 when the migrations table does not exist yet. */
async function schemaVersion(storage: PostgresStorage): Promise<number> {
  const table = `${storage.tablePrefix}schema_migrations`;
  const { rows } = await storage.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table]);
  if (!rows[0]?.exists) return 0;
  const result = await storage.query<{ version: unknown }>(`SELECT coalesce(max(version), 0) AS version FROM ${table}`);
  return Number(result.rows[0]?.version ?? 0);
}

export async function migrateCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parse(args, DATABASE_OPTIONS, MIGRATE_HELP);
  if (values.help) {
    io.out.write(`${MIGRATE_HELP}\n`);
    return 0;
  }
  const db = await openDatabase(values, MIGRATE_HELP);
  try {
    const before = await schemaVersion(db.storage);
    await db.storage.migrate();
    const after = await schemaVersion(db.storage);
    const tables = `tables ${db.storage.tablePrefix}*`;
    io.out.write(
      before === after
        ? `Schema is up to date: version ${after} (${tables}).\n`
        : `Migrated schema from version ${before === 0 ? 'none' : before} to ${after} (${tables}).\n`,
    );
    if (after !== SCHEMA_VERSION) {
      io.err.write(`Warning: this library expects schema version ${SCHEMA_VERSION}; the database has ${after}.\n`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
