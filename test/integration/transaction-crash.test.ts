import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/postgres.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

// The storage-side primitive for exactly-once side effects: a handler's writes and `completeEvent` in one
// `storage.transaction`. A process killed inside that transaction leaves nothing behind but its claim.

const root = fileURLToPath(new URL('../..', import.meta.url));

const DOOMED = `
import pg from 'pg';
import { postgresStorage } from './dist/postgres.js';
const prefix = process.env.TABLE_PREFIX;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const storage = postgresStorage({ client: pool, tablePrefix: prefix });
const claim = await storage.claimEvent('evt_tx', { leaseMs: 60000, now: Date.now() });
if (claim.status !== 'claimed') throw new Error('not claimed: ' + claim.status);
await storage.transaction(async (tx) => {
  await tx.query('INSERT INTO ' + prefix + 'side_effects (event_id, worker) VALUES ($1, $2)', ['evt_tx', 'doomed']);
  await tx.updateOrder('o1', { status: 'succeeded', from: ['pending'], now: Date.now() });
  process.stdout.write('inside\\n');
  await new Promise(() => {}); // killed here, before completeEvent and COMMIT
});
`;

describe.skipIf(!SERVER_REQUIRED)('storage.transaction on the PostgreSQL server when the process dies', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = serverPool();
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());

  it('rolls back the handler writes of a SIGKILLed process; after the lease, another runs them once and completes', async () => {
    const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('txcrash') });
    await storage.migrate();
    const p = storage.tablePrefix;
    await storage.query(`CREATE TABLE ${p}side_effects (event_id text NOT NULL, worker text NOT NULL)`);
    await storage.insertOrder(orderRecord('o1'));
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', DOOMED], {
        cwd: root,
        env: { ...process.env, TABLE_PREFIX: p },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(line).toBe('inside');
      child.kill('SIGKILL');
      expect((await exited)[1]).toBe('SIGKILL');

      // The dead transaction committed nothing; only its claim (committed before) remains.
      expect((await storage.query(`SELECT * FROM ${p}side_effects`)).rows).toEqual([]);
      expect((await storage.getOrder('o1'))?.status).toBe('pending');
      const held = await storage.claimEvent('evt_tx', { leaseMs: 60_000, now: Date.now() });
      expect(held.status).toBe('in_progress');

      // Past the lease, the next delivery takes over and runs the writes once, with the completion.
      const later = Date.now() + 60_001;
      const claim = await storage.claimEvent('evt_tx', { leaseMs: 60_000, now: later });
      if (claim.status !== 'claimed') throw new Error(`expected a takeover, got ${claim.status}`);
      await storage.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${p}side_effects (event_id, worker) VALUES ($1, $2)`, ['evt_tx', 'survivor']);
        await tx.updateOrder('o1', { status: 'succeeded', from: ['pending'], now: later });
        if (!(await tx.completeEvent('evt_tx', claim.token, later))) throw new Error('lease lost');
      });
      expect((await storage.query(`SELECT event_id, worker FROM ${p}side_effects`)).rows).toEqual([
        { event_id: 'evt_tx', worker: 'survivor' },
      ]);
      expect((await storage.getOrder('o1'))?.status).toBe('succeeded');
      expect(await storage.claimEvent('evt_tx', { leaseMs: 60_000, now: later + 1 })).toEqual({ status: 'processed' });
    } finally {
      await dropTables(storage);
    }
  });
});
