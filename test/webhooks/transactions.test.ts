import { storedOrder } from '../records.js';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import type { MarketplaceOptions, MarketplaceStorage, OrderRecord } from '../../src/index.js';
import { envelope, ORDER } from '../../src/index.js';
import { postgresStorage, type PostgresClient, type PostgresStorage } from '../../src/postgres.js';
import { DATABASE_URL, dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';
import { PLATFORM_SECRET, makeMarket, paymentIntent, seed, sign, stripeEvent, testStripe } from './helpers.js';

// `webhookTransactions: true`: the built-in handler's writes, the user's writes through `ctx.storage` and the
// event's completion commit together or not at all. Run on PGlite everywhere, and on the server (through a
// pool and through one pg.Client) when DATABASE_URL is set; in CI a missing or unreachable server fails them.

interface Backend {
  readonly name: string;
  readonly required: boolean;
  /** One connection (or pool) per backend, opened on first use. */
  readonly open: () => Promise<{ client: PostgresClient; close: () => Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PGlite',
    required: true,
    open: async () => {
      const db = new PGlite();
      return { client: db, close: () => db.close() };
    },
  },
  {
    name: 'a PostgreSQL server through a pg.Pool (DATABASE_URL)',
    required: SERVER_REQUIRED,
    open: async () => {
      const pool = serverPool();
      await pool.query('SELECT 1');
      return { client: pool, close: () => pool.end() };
    },
  },
  {
    name: 'a PostgreSQL server through one pg.Client (DATABASE_URL)',
    required: SERVER_REQUIRED,
    open: async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
      await client.connect();
      return { client, close: () => client.end() };
    },
  },
];

/** A table for the handler's own side effect: one row per run that committed. */
async function sideEffects(storage: PostgresStorage): Promise<{ table: string; rows: () => Promise<unknown[]> }> {
  const table = `${storage.tablePrefix}shipments`;
  await storage.query(`CREATE TABLE ${table} (event_id text NOT NULL, run integer NOT NULL)`);
  return {
    table,
    rows: async () => (await storage.query(`SELECT event_id, run FROM ${table} ORDER BY run`)).rows,
  };
}

function transactionalMarket(
  storage: PostgresStorage,
  options: Partial<Pick<MarketplaceOptions, 'now' | 'eventLeaseMs' | 'logger'>> = {},
) {
  return new Marketplace({
    stripe: testStripe(),
    storage,
    commission: percentage(12),
    webhookSecrets: { platform: PLATFORM_SECRET },
    livemode: false,
    webhookTransactions: true,
    ...options,
  });
}

/** The event's state in the inbox, or 'absent'. */
async function eventState(storage: MarketplaceStorage, eventId: string): Promise<string> {
  const events = await storage.listEvents({ limit: 1000 });
  return events.find((event) => event.id === eventId)?.status ?? 'absent';
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

for (const backend of backends) {
  describe.skipIf(!backend.required)(`webhookTransactions on ${backend.name}`, () => {
    let opened: Awaited<ReturnType<Backend['open']>> | undefined;
    const storages: PostgresStorage[] = [];
    const fresh = async (): Promise<PostgresStorage> => {
      opened ??= await backend.open();
      const storage = postgresStorage({ client: opened.client, tablePrefix: uniquePrefix('whtx') });
      await storage.migrate();
      storages.push(storage);
      return storage;
    };
    afterAll(async () => {
      for (const storage of storages) await dropTables(storage);
      await opened?.close();
    });

    it('rolls back the handler writes and the order update when a handler throws; the next delivery commits them once', async () => {
      const storage = await fresh();
      await seed(storage);
      const effects = await sideEffects(storage);
      const market = transactionalMarket(storage);
      let run = 0;
      market.on('payment_intent.succeeded', async (event, ctx) => {
        run += 1;
        // ctx.storage is the transaction's PostgresStorage: `query` is typed, and the write joins the transaction.
        await ctx.storage.query(`INSERT INTO ${effects.table} (event_id, run) VALUES ($1, $2)`, [event.id, run]);
        expect(ctx.order?.status).toBe('succeeded'); // the built-in update, visible inside the transaction
        if (run === 1) throw new Error('the warehouse is down');
      });
      const event = stripeEvent('payment_intent.succeeded', paymentIntent());
      const request = sign(event);

      expect(await market.handleWebhook(request)).toMatchObject({ status: 500, outcome: 'failed', eventId: event.id });
      expect(await effects.rows()).toEqual([]);
      expect((await storedOrder(storage, 'order_1001'))?.status).toBe('pending');
      // Kept with its error, not processed: the next delivery (or a replay) takes it again.
      expect(await eventState(storage, event.id)).toBe('failed');
      expect((await storage.listEvents({ limit: 10 }))[0]?.lastError).toMatch(/the warehouse is down/);

      expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'processed' });
      expect(await effects.rows()).toEqual([{ event_id: event.id, run: 2 }]);
      expect(await storedOrder(storage, 'order_1001')).toMatchObject({ status: 'succeeded', chargeId: 'ch_order_1001' });

      expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'duplicate' });
      expect(await effects.rows()).toEqual([{ event_id: event.id, run: 2 }]);
      expect(run).toBe(2);
    });

    it('commits the built-in update, the handler write and the completion together on success', async () => {
      const storage = await fresh();
      await seed(storage);
      const effects = await sideEffects(storage);
      const market = transactionalMarket(storage);
      market.onAny(async (event, ctx) => {
        await ctx.storage.query(`INSERT INTO ${effects.table} (event_id, run) VALUES ($1, 1)`, [event.id]);
        // Library writes through ctx.storage join the same transaction.
        const order = await ctx.storage.get<OrderRecord>('order', 'order_1001');
        if (!order) throw new Error('no order');
        const next = envelope(ORDER, { ...order.data, chargeId: 'ch_from_handler' });
        expect((await ctx.storage.update('order', 'order_1001', next, { version: order.version })).applied).toBe(true);
      });
      const event = stripeEvent('payment_intent.succeeded', paymentIntent());

      expect(await market.handleWebhook(sign(event))).toMatchObject({ status: 200, outcome: 'processed' });
      expect(await effects.rows()).toEqual([{ event_id: event.id, run: 1 }]);
      expect(await storedOrder(storage, 'order_1001')).toMatchObject({ status: 'succeeded', chargeId: 'ch_from_handler' });
      expect(await eventState(storage, event.id)).toBe('processed');
      // One transaction wrote all three rows: their xmin (the id of the writing transaction) is the same.
      const p = storage.tablePrefix;
      const { rows } = await storage.query<{ xmin: string }>(
        `SELECT xmin::text FROM ${effects.table}
         UNION ALL SELECT xmin::text FROM ${p}records WHERE kind = 'order' AND id = 'order_1001'
         UNION ALL SELECT xmin::text FROM ${p}inbox WHERE event_id = $1`,
        [event.id],
      );
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((row) => row.xmin)).size).toBe(1);
    });

    it('makes a concurrent delivery of the same event wait for the transaction, then answer duplicate: the handler runs once', async () => {
      const storage = await fresh();
      await seed(storage);
      const effects = await sideEffects(storage);
      // Two processes on the same database, each with its own Marketplace.
      const first = transactionalMarket(storage);
      const second = transactionalMarket(storage);
      const held = gate();
      const entered = gate();
      let runs = 0;
      for (const market of [first, second]) {
        market.on('payment_intent.succeeded', async (event, ctx) => {
          runs += 1;
          await ctx.storage.query(`INSERT INTO ${effects.table} (event_id, run) VALUES ($1, $2)`, [event.id, runs]);
          entered.open();
          await held.promise;
        });
      }
      const request = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));
      const a = first.handleWebhook(request);
      await entered.promise;
      const b = second.handleWebhook(request);
      await new Promise((resolve) => setTimeout(resolve, 100));
      held.open();
      const answers = (await Promise.all([a, b])).map((r) => `${r.status} ${r.outcome}`).sort();
      expect(answers).toEqual(['200 duplicate', '200 processed']);
      expect(runs).toBe(1);
      expect((await effects.rows()).length).toBe(1);
    });
  });
}

describe('webhookTransactions', () => {
  it('is refused with INVALID_OPTIONS when the storage has no transaction', () => {
    const storage: MarketplaceStorage = { ...memoryStorage(), transaction: undefined };
    expect(() => makeMarket({ storage, webhookTransactions: true })).toThrowError(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/webhookTransactions needs a storage with transactions/),
      }),
    );
    expect(() => makeMarket({ webhookTransactions: 'yes' as never })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => makeMarket({ storage, webhookTransactions: false })).not.toThrow();
  });

  it('gives handlers the Marketplace storage as ctx.storage when the option is off', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    let seen: MarketplaceStorage | undefined;
    market.on('payment_intent.succeeded', (_event, ctx) => {
      seen = ctx.storage;
    });
    expect(await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())))).toMatchObject({
      status: 200,
    });
    expect(seen).toBe(storage);
  });
});
