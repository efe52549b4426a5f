// The storage each process of the conformance suite's multi-process part builds: postgresStorage on the
// PostgreSQL server at DATABASE_URL, with the tables of one run under the table prefix `t_<namespace>`.
// Loaded through tsx (`processes.execArgv: ['--import', 'tsx']`), so that it runs the source, not dist/.
import pg from 'pg';
import { postgresStorage } from '../../src/postgres.js';

/** The table prefix of a run's namespace (see `postgresProcesses` in helpers.ts, which drops them). */
export const tablePrefixOf = (namespace) => `t_${namespace}`;

export async function createStorage(namespace) {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8, connectionTimeoutMillis: 5_000 });
  const storage = postgresStorage({ client: pool, tablePrefix: tablePrefixOf(namespace) });
  await storage.migrate();
  return storage;
}
