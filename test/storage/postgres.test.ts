import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresSchemaSql, postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { dropTables, pgliteFactory, SERVER_REQUIRED, serverPool, uniquePrefix } from './helpers.js';
import { adapterCases } from './postgres-cases.js';
import { eventInput, record, T0 } from './postgres-fixtures.js';

const lite = new PGlite();
afterAll(() => lite.close());

/**
 * On one connection, a statement interleaved into an open transaction would see its uncommitted rows. The
 * adapter must run other callers' statements only after the transaction ends (here: after its rollback).
 */
async function expectNoInterleaving(storage: PostgresStorage): Promise<void> {
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => {
    inside = resolve;
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const transaction = storage
    .transaction(async (tx) => {
      await tx.insert(record('order', 'uncommitted'));
      inside();
      await gate;
      throw new Error('roll back');
    })
    .catch((error: Error) => error.message);
  await entered;
  // On one connection an interleaved read would see the uncommitted row; serialised, it runs after the rollback.
  const read = storage.get('order', 'uncommitted');
  release();
  expect(await transaction).toBe('roll back');
  expect(await read).toBeNull();
}

describe('postgresStorage options', () => {
  it.each([
    ['no options', undefined],
    ['no client', {}],
    ['a client of another kind', { client: { query: 'nope' } }],
    ['a string client', { client: 'postgres://localhost/db' }],
    ['an unknown key', { client: lite, schema: 'public' }],
    ['an upper-case prefix', { client: lite, tablePrefix: 'Market_' }],
    ['a prefix starting with a digit', { client: lite, tablePrefix: '1m_' }],
    ['a prefix with SQL in it', { client: lite, tablePrefix: 'm; DROP TABLE x; --' }],
    ['a quoted prefix', { client: lite, tablePrefix: '"m"' }],
    ['an empty prefix', { client: lite, tablePrefix: '' }],
    ['a 33-character prefix', { client: lite, tablePrefix: 'a'.repeat(33) }],
  ])('refuses %s with INVALID_OPTIONS', (_label, options) => {
    expect(() => postgresStorage(options as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it('accepts PGlite, a pg.Pool and a pg.Client without connecting', () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
    const client = new pg.Client({ host: '127.0.0.1', port: 1 });
    for (const c of [lite, pool, client]) expect(postgresStorage({ client: c }).tablePrefix).toBe('marketplace_');
    expect(postgresStorage({ client: lite, tablePrefix: `_${'a'.repeat(31)}` }).tablePrefix).toHaveLength(32);
  });
});

describe('migrate on PGlite', () => {
  it('creates the tables once, records the version, and is idempotent under concurrent calls', async () => {
    const storage = postgresStorage({ client: lite, tablePrefix: uniquePrefix('mig') });
    await Promise.all([storage.migrate(), storage.migrate(), storage.migrate()]);
    await storage.migrate();
    const { rows } = await storage.query<{ version: number }>(
      `SELECT version FROM ${storage.tablePrefix}schema_migrations ORDER BY 1`,
    );
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
    const tables = await storage.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE starts_with(tablename, $1) ORDER BY tablename`,
      [storage.tablePrefix],
    );
    expect(tables.rows.map((r) => r.tablename.slice(storage.tablePrefix.length))).toEqual([
      'inbox',
      'records',
      'refs',
      'schema_migrations',
    ]);
    await dropTables(storage);
  });

  it('wraps a failure as STORAGE_ERROR', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1 });
    await expect(postgresStorage({ client: pool }).migrate()).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
    await pool.end();
  });
});

describe('schema.sql', () => {
  it('is shipped in dist and equals postgresSchemaSql() for the default prefix', async () => {
    expect(await readFile(new URL('../../dist/schema.sql', import.meta.url), 'utf8')).toBe(postgresSchemaSql());
  });

  it('creates the same schema as migrate(), after which migrate() changes nothing', async () => {
    const prefix = uniquePrefix('sql');
    const db = lite;
    await db.exec(postgresSchemaSql(prefix));
    await db.exec(postgresSchemaSql(prefix));
    const storage = postgresStorage({ client: db, tablePrefix: prefix });
    await storage.migrate();
    const other = postgresStorage({ client: db, tablePrefix: uniquePrefix('mig') });
    await other.migrate();
    const columns = async (p: string) =>
      (
        await db.query<{ t: string; c: string; d: string; n: string }>(
          `SELECT substr(table_name, length($1) + 1) AS t, column_name AS c, data_type AS d, is_nullable AS n
           FROM information_schema.columns WHERE starts_with(table_name, $1) ORDER BY 1, ordinal_position`,
          [p],
        )
      ).rows;
    expect(await columns(prefix)).toEqual(await columns(other.tablePrefix));
    expect((await storage.query(`SELECT version FROM ${prefix}schema_migrations ORDER BY 1`)).rows).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
    expect((await storage.insert(record('order', 'o1'))).created).toBe(true);
    await dropTables(storage);
    await dropTables(other);
  });

  it('refuses a bad prefix', () => {
    expect(() => postgresSchemaSql('x y')).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});

describe('transactions on PGlite', () => {
  it('runs other callers after an open transaction, never inside it', async () => {
    const storage = postgresStorage({ client: lite, tablePrefix: uniquePrefix('tx') });
    await storage.migrate();
    await expectNoInterleaving(storage);
    await dropTables(storage);
  });
});

describe.skipIf(!SERVER_REQUIRED)('on the PostgreSQL server', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = serverPool();
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());

  it('migrates once when 6 processes (pools) run migrate() at the same moment', async () => {
    const prefix = uniquePrefix('race');
    const pools = Array.from({ length: 6 }, () => serverPool(2));
    try {
      await Promise.all(pools.map((p) => postgresStorage({ client: p, tablePrefix: prefix }).migrate()));
      const storage = postgresStorage({ client: pool, tablePrefix: prefix });
      expect((await storage.query(`SELECT version FROM ${prefix}schema_migrations ORDER BY 1`)).rows).toEqual([
        { version: 1 },
        { version: 2 },
      ]);
      await dropTables(storage);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('returns a pool connection after a failed transaction, rolled back', async () => {
    const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('pool') });
    await storage.migrate();
    for (let i = 0; i < 30; i++) {
      await expect(
        storage.transaction(async (tx) => {
          await tx.insert(record('order', `o${i}`));
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
    }
    expect(await storage.list('order', { limit: 100 })).toEqual([]);
    expect(pool.totalCount).toBeLessThanOrEqual(20);
    expect(pool.waitingCount).toBe(0);
    await dropTables(storage);
  });

  it('serialises a single pg.Client: no other caller runs inside an open transaction', async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const storage = postgresStorage({ client, tablePrefix: uniquePrefix('client') });
      await storage.migrate();
      await expectNoInterleaving(storage);
      await dropTables(storage);
    } finally {
      await client.end();
    }
  });
});

describe('postgresStorage on PGlite', () => {
  const factory = pgliteFactory();
  afterAll(() => factory.close());
  adapterCases(factory);
});

describe('round trips', () => {
  it('each method is one statement; the webhook path (claimEvent, resolve, update, settleEvent) is four', async () => {
    const statements: string[] = [];
    const client = {
      query: (sql: string, params?: unknown[]) => {
        statements.push(sql);
        return lite.query(sql, params);
      },
      exec: (sql: string) => lite.exec(sql),
      transaction: <T>(fn: (tx: { query: typeof lite.query }) => Promise<T>) => lite.transaction(fn),
    };
    const storage = postgresStorage({ client, tablePrefix: uniquePrefix('trips') });
    await storage.migrate();
    const trips = async (call: () => Promise<unknown>) => {
      const before = statements.length;
      await call();
      return statements.length - before;
    };
    const counts = {
      insert: await trips(() => storage.insert(record('order', 'o1', { refs: ['pi_1'] }))),
      insertExisting: await trips(() => storage.insert(record('order', 'o1'))),
      get: await trips(() => storage.get('order', 'o1')),
      list: await trips(() => storage.list('order', { index: 'v1', statuses: ['pending'], createdBefore: T0 + 1, limit: 5 })),
      consume: await trips(() => storage.consume('order', 'missing', T0)),
      claimEvent: await trips(() => storage.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 })),
      claimEventHeld: await trips(() => storage.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 })),
      enqueue: await trips(() => storage.claimEvent(eventInput('evt_2'), { leaseMs: 60_000, lease: false })),
      resolve: await trips(() => storage.resolve('pi_1')),
      update: await trips(() => storage.update('order', 'o1', record('order', 'o1', { refs: ['pi_1', 'ch_1'] }), { version: 1 })),
      updateRefused: await trips(() => storage.update('order', 'o1', record('order', 'o1'), { version: 1 })),
      claimNextEvents: await trips(() => storage.claimNextEvents({ limit: 10, leaseMs: 60_000 })),
      settleEvent: await trips(() => storage.settleEvent('evt_1', 'stale', { status: 'processed' })),
      listEvents: await trips(() =>
        storage.listEvents({ statuses: ['processing'], limit: 10, after: { receivedAt: 0, id: '' } }),
      ),
      prune: await trips(() => storage.prune({ processedBefore: T0, expiredBefore: T0 })),
    };
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((name) => [name, 1])));
    await dropTables(storage);
  });
});

describe('when the database is unreachable or closed, every method rejects with the driver error', () => {
  const calls = (s: PostgresStorage): [string, () => Promise<unknown>][] => [
    ['get', () => s.get('order', 'o1')],
    ['insert', () => s.insert(record('order', 'o1'))],
    ['update', () => s.update('order', 'o1', record('order', 'o1'), { version: 1 })],
    ['list', () => s.list('order', { limit: 1 })],
    ['resolve', () => s.resolve('pi_1')],
    ['consume', () => s.consume('oauth_state', 's', T0)],
    ['claimEvent', () => s.claimEvent(eventInput('evt_1'), { leaseMs: 1000 })],
    ['claimNextEvents', () => s.claimNextEvents({ limit: 1, leaseMs: 1000 })],
    ['settleEvent', () => s.settleEvent('evt_1', 't', { status: 'processed' })],
    ['listEvents', () => s.listEvents({ limit: 1 })],
    ['prune', () => s.prune({ processedBefore: T0, expiredBefore: T0 })],
    ['transaction', () => s.transaction(async (tx) => tx.get('order', 'o1'))],
  ];

  it('a pg.Pool pointed at a closed port: ECONNREFUSED, never a null or empty answer', async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    try {
      for (const [name, call] of calls(postgresStorage({ client: pool }))) {
        await expect(call(), name).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      }
    } finally {
      await pool.end();
    }
  });

  it('a PGlite database closed after migrate()', async () => {
    const db = new PGlite();
    const storage = postgresStorage({ client: db });
    await storage.migrate();
    await db.close();
    for (const [name, call] of calls(storage)) await expect(call(), name).rejects.toThrow(/closed/i);
  });
});
