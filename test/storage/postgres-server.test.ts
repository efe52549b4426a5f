import { afterAll, beforeAll, describe, it } from 'vitest';
import pg from 'pg';
import { postgresStorage } from '../../src/postgres.js';
import { runStorageConformance } from '../../src/testing/index.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from './helpers.js';

// Skipped only on a developer machine without DATABASE_URL. With DATABASE_URL set, or in CI, an
// unreachable server (or a missing DATABASE_URL in CI) fails the run.
describe.skipIf(!SERVER_REQUIRED)('PostgreSQL server (DATABASE_URL)', () => {
  let pool: ReturnType<typeof serverPool>;
  beforeAll(async () => {
    pool = serverPool();
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());

  runStorageConformance({
    name: 'postgresStorage on a pg.Pool',
    describe,
    it,
    create: async () => {
      const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('pool') });
      await storage.migrate();
      return storage;
    },
    cleanup: dropTables,
  });
});

describe.skipIf(!SERVER_REQUIRED)('PostgreSQL server through one pg.Client (DATABASE_URL)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 5_000 });
    await client.connect();
  });
  afterAll(() => client?.end());

  runStorageConformance({
    name: 'postgresStorage on a single pg.Client',
    describe,
    it,
    create: async () => {
      const storage = postgresStorage({ client, tablePrefix: uniquePrefix('client') });
      await storage.migrate();
      return storage;
    },
    cleanup: dropTables,
  });
});
