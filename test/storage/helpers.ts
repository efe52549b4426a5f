import { createServer, type Server, type Socket, connect } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { postgresStorage, type PostgresStorage } from '../../src/postgres.js';

let counter = 0;

/** A table prefix no other test (in this run or a parallel one) uses. */
export function uniquePrefix(tag: string): string {
  counter += 1;
  return `t_${tag}_${process.pid}_${Date.now().toString(36)}_${counter}_`;
}

/** Drops every table whose name starts with `prefix`. */
export async function dropTables(storage: PostgresStorage): Promise<void> {
  const { rows } = await storage.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)`,
    [storage.tablePrefix],
  );
  if (rows.length > 0) await storage.query(`DROP TABLE IF EXISTS ${rows.map((r) => r.tablename).join(', ')}`);
}

/** One PGlite database per test file (opening one costs a few hundred ms); each test gets its own prefix. */
export function pgliteFactory() {
  let db: PGlite | undefined;
  return {
    async create(): Promise<PostgresStorage> {
      db ??= new PGlite();
      const storage = postgresStorage({ client: db, tablePrefix: uniquePrefix('lite') });
      await storage.migrate();
      return storage;
    },
    cleanup: dropTables,
    async close() {
      await db?.close();
    },
  };
}

export const DATABASE_URL = process.env.DATABASE_URL;

/**
 * Whether the server tests must run: when DATABASE_URL is set, or in CI (where it must be set). Then an
 * unreachable server fails them rather than skipping them.
 */
export const SERVER_REQUIRED = Boolean(DATABASE_URL) || process.env.CI === 'true';

export function serverPool(max = 20): pg.Pool {
  if (!DATABASE_URL) throw new Error('DATABASE_URL is not set: the PostgreSQL server tests need it (CI sets it in .ci/run)');
  return new pg.Pool({ connectionString: DATABASE_URL, max, connectionTimeoutMillis: 5_000 });
}

/** A TCP relay to the PostgreSQL server that can be cut, as when the database goes away mid-run. */
export async function relay(target: URL): Promise<{ port: number; pool: () => pg.Pool; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  const port = address.port;
  return {
    port,
    /** A pool that connects through the relay; its errors on idle clients (after a cut) are expected. */
    pool: () => {
      const pool = new pg.Pool({
        host: '127.0.0.1',
        port,
        user: decodeURIComponent(target.username || 'postgres'),
        password: decodeURIComponent(target.password),
        database: target.pathname.slice(1),
        connectionTimeoutMillis: 2_000,
      });
      pool.on('error', () => undefined);
      return pool;
    },
    cut: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Drops every table whose name starts with `prefix`, through any client. */
export async function dropTablesWithPrefix(client: pg.Pool | pg.Client, prefix: string): Promise<void> {
  const { rows } = await client.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, $1)`,
    [prefix],
  );
  if (rows.length > 0) await client.query(`DROP TABLE IF EXISTS ${rows.map((r) => `"${r.tablename}"`).join(', ')}`);
}

/**
 * The conformance suite's multi-process part on the PostgreSQL server: each process builds postgresStorage
 * on DATABASE_URL from `postgres-process-adapter.mjs` (through tsx), and `pool` drops the run's tables.
 * Pass it as `processes` to `runStorageConformance`.
 */
export function postgresProcesses(pool: pg.Pool, count = 4) {
  return {
    module: fileURLToPath(new URL('./postgres-process-adapter.mjs', import.meta.url)),
    exportName: 'createStorage',
    count,
    execArgv: ['--import', 'tsx'],
    cleanup: (namespace: string) => dropTablesWithPrefix(pool, `t_${namespace}`),
  };
}

/**
 * For the enclosing `describe`: one connection to the server (a `pg.Pool`, or a single `pg.Client`) opened
 * before its tests and closed after them, and a factory of fresh, migrated storages on it, each with its
 * own tables.
 */
export function serverStorages(kind: 'pool' | 'client') {
  let client: pg.Pool | pg.Client | undefined;
  beforeAll(async () => {
    if (kind === 'pool') {
      client = serverPool();
      await client.query('SELECT 1');
    } else {
      client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
      await client.connect();
    }
  });
  afterAll(() => client?.end());
  const connection = () => {
    if (!client) throw new Error('the server connection is opened in beforeAll');
    return client;
  };
  return {
    connection,
    async create(): Promise<PostgresStorage> {
      const storage = postgresStorage({ client: connection(), tablePrefix: uniquePrefix(kind) });
      await storage.migrate();
      return storage;
    },
    cleanup: dropTables,
  };
}
