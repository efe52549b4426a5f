import { seedOrder, seedVendor, storedOrder } from '../records.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { orderRecord, prng, vendorRecord } from '../../src/testing/conformance/fixtures.js';
import { paymentSucceededPayload, signed } from './events.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

// Several Node processes, each a Marketplace on one PostgreSQL database, receiving Stripe's deliveries
// concurrently: every event's user handler must run exactly once, and none may be missed.

const SECRET = 'whsec_multi_process_test';
const WORKER = fileURLToPath(new URL('./webhook-worker.mjs', import.meta.url));

interface Worker {
  name: string;
  child: ChildProcess;
  port: number;
}

async function startWorker(name: string, env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, ...env, WORKER: name },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`worker ${name} exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  return { name, child, port: (JSON.parse(line) as { port: number }).port };
}

async function stopWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = once(worker.child, 'exit');
  worker.child.kill('SIGTERM');
  await exited;
}

function paymentSucceeded(i: number) {
  return { id: `evt_mp_${i}`, payload: paymentSucceededPayload(`evt_mp_${i}`, `pi_mp_${i}`) };
}

/** One delivery as Stripe makes it: a fresh signature, POSTed to one process. Resolves to the status, or 0 when the connection failed. */
async function deliver(worker: Worker, payload: string): Promise<number> {
  const { signature } = signed(payload, SECRET);
  try {
    const response = await fetch(`http://127.0.0.1:${worker.port}/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function prepare(storage: PostgresStorage, events: number): Promise<void> {
  await storage.migrate();
  const p = storage.tablePrefix;
  await storage.query(`CREATE TABLE ${p}side_effects (event_id text NOT NULL, worker text NOT NULL)`);
  await storage.query(`CREATE TABLE ${p}crashes (event_id text NOT NULL, worker text NOT NULL)`);
  await seedVendor(storage, vendorRecord('v1'));
  for (let i = 0; i < events; i++) {
    await seedOrder(storage, orderRecord(`o${i}`, { vendorId: 'v1', paymentIntentId: `pi_mp_${i}` }));
  }
}

describe.skipIf(!SERVER_REQUIRED)('webhooks across processes on one PostgreSQL database', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = serverPool();
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());

  it('runs each handler exactly once when 4 processes get 500 events, each delivered 3 times, concurrently', async () => {
    const EVENTS = 500;
    const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('mp') });
    await prepare(storage, EVENTS);
    const env = { DATABASE_URL: process.env.DATABASE_URL ?? '', TABLE_PREFIX: storage.tablePrefix, WEBHOOK_SECRET: SECRET };
    const workers = await Promise.all(['a', 'b', 'c', 'd'].map((name) => startWorker(name, env)));
    try {
      const random = prng(4_500);
      const events = Array.from({ length: EVENTS }, (_, i) => paymentSucceeded(i));
      // Every event three times, in random order; each delivery (and redelivery) to a random process.
      const queue = events.flatMap((event) => [event, event, event]);
      for (let i = queue.length - 1; i > 0; i--) {
        const j = random.int(i + 1);
        [queue[i], queue[j]] = [queue[j] as (typeof queue)[number], queue[i] as (typeof queue)[number]];
      }
      const statuses = new Map<number, number>();
      let attempts = 0;
      const sender = async () => {
        for (let next = queue.pop(); next; next = queue.pop()) {
          attempts += 1;
          if (attempts > 20_000) throw new Error('too many deliveries: events are not being processed');
          const status = await deliver(random.pick(workers), next.payload);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status < 200 || status > 299) {
            // As Stripe does: deliver again later, to whichever process the load balancer picks.
            await pause(5 + random.int(20));
            queue.unshift(next);
          }
        }
      };
      await Promise.all(Array.from({ length: 32 }, sender));

      const effects = await storage.query<{ event_id: string; n: string }>(
        `SELECT event_id, count(*) AS n FROM ${storage.tablePrefix}side_effects GROUP BY event_id`,
      );
      expect(effects.rows.length).toBe(EVENTS);
      expect(effects.rows.filter((row) => Number(row.n) !== 1)).toEqual([]);
      const processed = await storage.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${storage.tablePrefix}inbox WHERE status = 'processed'`,
      );
      expect(Number(processed.rows[0]?.n)).toBe(EVENTS);
      const orders = await storage.list('order', { limit: EVENTS });
      expect(orders.length).toBe(EVENTS);
      expect(orders.filter((order) => order.status !== 'succeeded')).toEqual([]);
      // Every process did part of the work, and only the statuses Stripe may see came back.
      const byWorker = await storage.query<{ worker: string }>(`SELECT DISTINCT worker FROM ${storage.tablePrefix}side_effects`);
      expect(byWorker.rows.map((row) => row.worker).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect([...statuses.keys()].filter((status) => status !== 200 && status !== 409)).toEqual([]);
    } finally {
      await Promise.all(workers.map(stopWorker));
      await dropTables(storage);
    }
  }, 120_000); // 6,000 deliveries through 4 processes: minutes on a loaded 2-core machine, never a timing assertion

  it('finishes an event whose process was SIGKILLed inside the handler, in another process once the lease expires', async () => {
    const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('crash') });
    await prepare(storage, 1);
    const env = {
      DATABASE_URL: process.env.DATABASE_URL ?? '',
      TABLE_PREFIX: storage.tablePrefix,
      WEBHOOK_SECRET: SECRET,
      LEASE_MS: '1500',
    };
    const event = paymentSucceeded(0);
    const doomed = await startWorker('doomed', { ...env, CRASH_EVENT: event.id });
    const survivor = await startWorker('survivor', env);
    try {
      const exited = once(doomed.child, 'exit');
      expect(await deliver(doomed, event.payload)).toBe(0); // the connection dies with the process
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');
      const crashes = await storage.query(`SELECT worker FROM ${storage.tablePrefix}crashes`);
      expect(crashes.rows).toEqual([{ worker: 'doomed' }]);

      // Stripe redelivers. While the dead process's lease runs, nobody may run the handler (409); once it
      // is over, the survivor takes the event over.
      const lease = await storage.query<{ lease_expires_at: string }>(
        `SELECT lease_expires_at FROM ${storage.tablePrefix}inbox WHERE event_id = $1`,
        [event.id],
      );
      const leaseExpiresAt = Number(lease.rows[0]?.lease_expires_at);
      const answers: { sentAt: number; status: number }[] = [];
      for (let attempt = 0; attempt < 100 && answers.at(-1)?.status !== 200; attempt++) {
        if (attempt > 0) await pause(100);
        const sentAt = Date.now();
        answers.push({ sentAt, status: await deliver(survivor, event.payload) });
      }
      const status = answers.at(-1)?.status;
      expect(answers.filter((a) => a.status !== 200 && a.status !== 409)).toEqual([]);
      expect(answers.filter((a) => a.status === 200 && a.sentAt < leaseExpiresAt - 50)).toEqual([]);
      if ((answers[0]?.sentAt ?? Infinity) < leaseExpiresAt - 100) expect(answers[0]?.status).toBe(409);
      expect(status).toBe(200);
      const effects = await storage.query(`SELECT event_id, worker FROM ${storage.tablePrefix}side_effects`);
      expect(effects.rows).toEqual([{ event_id: event.id, worker: 'survivor' }]);
      expect((await storage.listEvents({ limit: 10 })).map((e) => [e.id, e.status])).toEqual([[event.id, 'processed']]);
      expect((await storedOrder(storage, 'o0'))?.status).toBe('succeeded');
    } finally {
      await Promise.all([doomed, survivor].map(stopWorker));
      await dropTables(storage);
    }
  });
});
