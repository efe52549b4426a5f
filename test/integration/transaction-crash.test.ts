import { seedOrder, storedOrder } from '../records.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/postgres.js';
import { envelope, ORDER, type OrderRecord } from '../../src/core/records.js';
import type { MarketplaceStorage } from '../../src/storage/types.js';
import { inboxEvent, orderRecord } from '../../src/testing/conformance/fixtures.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

// The storage-side primitive for exactly-once side effects: a handler's writes and `settleEvent` in one
// `storage.transaction`. A process killed inside that transaction leaves nothing behind but its claim.

const EVENT = inboxEvent('evt_tx');

/** Moves the stored order `o1` to succeeded through a version-guarded write, as the library does. */
async function succeed(storage: MarketplaceStorage): Promise<void> {
  const order = await storage.get<OrderRecord>('order', 'o1');
  if (!order) throw new Error('no order o1');
  const data = { ...order.data, status: 'succeeded' as const };
  const { applied } = await storage.update('order', 'o1', envelope(ORDER, data), { version: order.version });
  if (!applied) throw new Error('the order changed');
}

const root = fileURLToPath(new URL('../..', import.meta.url));

const DOOMED = `
import pg from 'pg';
import { postgresStorage } from './dist/postgres.js';
const prefix = process.env.TABLE_PREFIX;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const storage = postgresStorage({ client: pool, tablePrefix: prefix });
const event = JSON.parse(process.env.EVENT);
const claim = await storage.claimEvent(event, { leaseMs: 60000 });
if (claim.status !== 'claimed') throw new Error('not claimed: ' + claim.status);
await storage.transaction(async (tx) => {
  await tx.query('INSERT INTO ' + prefix + 'side_effects (event_id, worker) VALUES ($1, $2)', ['evt_tx', 'doomed']);
  const order = await tx.get('order', 'o1');
  await tx.update('order', 'o1', { ...order, status: 'succeeded', data: { ...order.data, status: 'succeeded' } }, { version: order.version });
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
    await seedOrder(storage, orderRecord('o1'));
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', DOOMED], {
        cwd: root,
        env: { ...process.env, TABLE_PREFIX: p, EVENT: JSON.stringify(EVENT) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(line).toBe('inside');
      child.kill('SIGKILL');
      expect((await exited)[1]).toBe('SIGKILL');

      // The dead transaction committed nothing; only its claim (committed before) remains.
      expect((await storage.query(`SELECT * FROM ${p}side_effects`)).rows).toEqual([]);
      expect((await storedOrder(storage, 'o1'))?.status).toBe('pending');
      const held = await storage.claimEvent(EVENT, { leaseMs: 60_000 });
      expect(held.status).toBe('in_progress');

      // Past the lease (on the database's clock: the test ends it there), the next delivery takes over and
      // runs the writes once, with the completion.
      await storage.query(`UPDATE ${p}inbox SET lease_expires_at = lease_expires_at - 60001 WHERE event_id = 'evt_tx'`);
      const claim = await storage.claimEvent(EVENT, { leaseMs: 60_000 });
      if (claim.status !== 'claimed') throw new Error(`expected a takeover, got ${claim.status}`);
      await storage.transaction(async (tx) => {
        await tx.query(`INSERT INTO ${p}side_effects (event_id, worker) VALUES ($1, $2)`, ['evt_tx', 'survivor']);
        await succeed(tx);
        if (!(await tx.settleEvent('evt_tx', claim.token, { status: 'processed' }))) throw new Error('lease lost');
      });
      expect((await storage.query(`SELECT event_id, worker FROM ${p}side_effects`)).rows).toEqual([
        { event_id: 'evt_tx', worker: 'survivor' },
      ]);
      expect((await storedOrder(storage, 'o1'))?.status).toBe('succeeded');
      expect(await storage.claimEvent(EVENT, { leaseMs: 60_000 })).toEqual({ status: 'processed' });
    } finally {
      await dropTables(storage);
    }
  });
});
