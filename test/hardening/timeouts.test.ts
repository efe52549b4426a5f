import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { Marketplace, type MarketplaceOptions, type MarketplaceStorage, memoryStorage } from '../../src/index.js';
import { postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { storedOrder } from '../records.js';
import { DATABASE_URL, dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';
import { makeMarket, paymentIntent, seed, sign, stripeEvent } from '../webhooks/helpers.js';
import { completeHostedOnboarding, world } from '../world.js';
import { never, within } from './limits.js';

// Nothing the library waits for may hold a call up without end: the commission policy, webhook and onError
// handlers, the logger and storage each get a time limit (`timeouts`), past which the call fails with TIMEOUT.

async function eventStatus(storage: MarketplaceStorage, eventId: string) {
  return (await storage.listEvents({ limit: 1000 })).find((event) => event.id === eventId) ?? null;
}

/** `storage` whose methods `names` never answer while `hang.calls` is above 0 (each hung call counts one down). */
function hangingStorage<S extends MarketplaceStorage>(storage: S, names: readonly string[], hang: { calls: number }): S {
  return new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop === 'string' && names.includes(prop) && hang.calls > 0) {
        hang.calls -= 1;
        return never;
      }
      if (prop === 'transaction' && typeof value === 'function') {
        return (fn: (tx: MarketplaceStorage) => Promise<unknown>) =>
          value.call(target, (tx: MarketplaceStorage) => fn(hangingStorage(tx, names, hang)));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('timeouts option', () => {
  it.each([
    [{ handlerMs: 0 }],
    [{ storageMs: 1.5 }],
    [{ commissionMs: 3_600_001 }],
    [{ handlerMs: '100' }],
    [{ retryMs: 100 }],
    ['fast'],
  ])('refuses %j with INVALID_OPTIONS', (timeouts) => {
    expect(() => makeMarket({ timeouts } as unknown as Partial<MarketplaceOptions>)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });

  it('accepts each limit alone', () => {
    expect(makeMarket({ timeouts: { handlerMs: 1 } }).market).toBeInstanceOf(Marketplace);
    expect(makeMarket({ timeouts: { commissionMs: 3_600_000, storageMs: 10 } }).market).toBeInstanceOf(Marketplace);
  });

  it('keeps market.storage the storage it was given', () => {
    const storage = memoryStorage();
    expect(makeMarket({ storage }).market.storage).toBe(storage);
  });
});

describe('a commission policy that never answers', () => {
  it('fails createCheckout with TIMEOUT, before any order is stored or Stripe is called', async () => {
    const w = world({ commission: never, timeouts: { commissionMs: 50 } });
    const { url } = await w.market.onboardVendor({
      vendorId: 'v1',
      country: 'GB',
      returnUrl: 'https://example.com/r',
      refreshUrl: 'https://example.com/f',
    });
    await completeHostedOnboarding(w, url);
    const started = Date.now();
    await expect(
      within(w.market.createCheckout({ orderId: 'o1', vendorId: 'v1', amount: 1000, currency: 'gbp' }), 5_000),
    ).rejects.toMatchObject({ code: 'TIMEOUT', details: { timeoutMs: 50 } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await w.market.getOrder('o1')).toBeNull();
    expect((await w.stripe.paymentIntents.list()).data).toEqual([]);
  });
});

describe('a webhook handler that never answers', () => {
  it('answers 500 TIMEOUT, keeps the event unprocessed, and a later delivery processes it', async () => {
    const { market, storage } = makeMarket({ timeouts: { handlerMs: 50 } });
    await seed(storage);
    let stuck = true;
    market.on('payment_intent.succeeded', () => (stuck ? never() : undefined));
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const answer = await within(market.handleWebhook(sign(event)), 5_000);
    expect(answer).toMatchObject({
      status: 500,
      outcome: 'failed',
      error: expect.stringContaining('did not answer within 50 ms'),
    });
    expect(await eventStatus(storage, event.id)).toMatchObject({ status: 'failed' });
    stuck = false;
    expect(await market.handleWebhook(sign(event))).toMatchObject({ status: 200, outcome: 'processed' });
  });

  it('an onAny handler and an onError handler that never answer: still answered', async () => {
    const { market } = makeMarket({ timeouts: { handlerMs: 50 } });
    const errors: string[] = [];
    market.onAny(never);
    market.onError(never);
    market.onError((error) => {
      errors.push(error.code);
    });
    const answer = await within(market.handleWebhook(sign(stripeEvent('payment_intent.created', { id: 'pi_1' }))), 5_000);
    expect(answer).toMatchObject({ status: 500, outcome: 'failed' });
    expect(errors).toEqual(['TIMEOUT']);
  });
});

describe('a logger that throws, never answers or rejects', () => {
  it('never makes handleWebhook throw or hang', async () => {
    const rejected: string[] = [];
    const rejecting = async (message: string) => {
      rejected.push(message);
      throw new Error('logger down');
    };
    for (const method of [never, rejecting]) {
      const logger = { debug: method, info: method, warn: method, error: method };
      const { market } = makeMarket({ logger, timeouts: { handlerMs: 50 } });
      market.on('payment_intent.created', () => {
        throw new Error('handler down');
      });
      const event = stripeEvent('payment_intent.created', { id: 'pi_1' });
      expect(await within(market.handleWebhook(sign(event)), 5_000)).toMatchObject({ status: 500, outcome: 'failed' });
      // Ignored for the other mode: logged at info.
      const other = stripeEvent('payment_intent.created', { id: 'pi_2' }, { livemode: true });
      expect(await within(market.handleWebhook(sign(other)), 5_000)).toMatchObject({ status: 200, outcome: 'ignored' });
    }
    // The rejecting logger was called (and its rejections, dropped, did not fail the run as unhandled).
    expect(rejected).toContain('webhook processing failed');
  });
});

describe('a storage call that never answers', () => {
  it('fails a webhook with 500 TIMEOUT and createCheckout with TIMEOUT', async () => {
    const hang = { calls: 0 };
    const storage = hangingStorage(memoryStorage(), ['get', 'resolve'], hang);
    const { market } = makeMarket({ storage, timeouts: { storageMs: 50 } });
    await seed(storage);
    hang.calls = 2;
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const answer = await within(market.handleWebhook(sign(event)), 5_000);
    expect(answer).toMatchObject({ status: 500, outcome: 'failed', error: expect.stringContaining('storage.') });
    await expect(
      within(market.createCheckout({ orderId: 'o2', vendorId: 'driver_42', amount: 1000, currency: 'gbp' }), 5_000),
    ).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(hang.calls).toBe(0);
    expect(await eventStatus(storage, event.id)).toMatchObject({ status: 'failed' });
    expect(await market.handleWebhook(sign(event))).toMatchObject({ status: 200, outcome: 'processed' });
  });
});

function transactionalMarket(storage: MarketplaceStorage, timeouts: MarketplaceOptions['timeouts']) {
  return makeMarket({ storage, webhookTransactions: true, timeouts }).market;
}

async function effectsTable(storage: PostgresStorage) {
  const table = `${storage.tablePrefix}effects`;
  await storage.query(`CREATE TABLE ${table} (note text NOT NULL)`);
  return { table, rows: async () => (await storage.query(`SELECT note FROM ${table} ORDER BY note`)).rows };
}

const backends = [
  { name: 'PGlite', run: true, open: () => new PGlite() },
  { name: 'a pg.Pool of 2 (DATABASE_URL)', run: SERVER_REQUIRED && Boolean(DATABASE_URL), open: () => serverPool(2) },
];

describe.each(backends)('webhookTransactions on $name', (backend) => {
  let client: ReturnType<(typeof backends)[number]['open']> | undefined;
  const storages: PostgresStorage[] = [];
  const fresh = async () => {
    client ??= backend.open();
    const storage = postgresStorage({ client, tablePrefix: uniquePrefix('tmo') });
    await storage.migrate();
    storages.push(storage);
    return storage;
  };
  afterAll(async () => {
    for (const storage of storages) await dropTables(storage);
    await (client as { end?: () => Promise<void>; close?: () => Promise<void> } | undefined)?.[
      backend.name === 'PGlite' ? 'close' : 'end'
    ]?.();
  });

  it.runIf(backend.run)('a handler past its time limit: rolled back, 500, and its late write is refused', async () => {
    const storage = await fresh();
    await seed(storage);
    const effects = await effectsTable(storage);
    const market = transactionalMarket(storage, { handlerMs: 100 });
    let release: () => void = () => undefined;
    let lateOutcome: (outcome: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => {
      lateOutcome = resolve;
    });
    let stuck = true;
    market.on('payment_intent.succeeded', async (_event, ctx) => {
      const tx = ctx.storage as PostgresStorage;
      await tx.query(`INSERT INTO ${effects.table} (note) VALUES ('in time')`);
      if (!stuck) return;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      // After the time limit: the transaction has ended, this write must not land anywhere.
      try {
        await tx.query(`INSERT INTO ${effects.table} (note) VALUES ('late')`);
        lateOutcome('written');
      } catch (error) {
        lateOutcome(String(error));
      }
    });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const answer = await within(market.handleWebhook(sign(event)), 10_000);
    expect(answer).toMatchObject({ status: 500, outcome: 'failed', error: expect.stringContaining('within 100 ms') });
    release();
    expect(await late).toMatch(/transaction has ended/);
    expect(await effects.rows()).toEqual([]);
    expect((await storedOrder(storage, 'order_1001'))?.status).toBe('pending');
    expect(await eventStatus(storage, event.id)).toMatchObject({ status: 'failed' });
    stuck = false;
    expect(await market.handleWebhook(sign(event))).toMatchObject({ status: 200, outcome: 'processed' });
    expect(await effects.rows()).toEqual([{ note: 'in time' }]);
    expect((await storedOrder(storage, 'order_1001'))?.status).toBe('succeeded');
  });

  it.runIf(backend.run)('a storage call in the transaction past its time limit: rolled back, not continued', async () => {
    const base = await fresh();
    await seed(base);
    const effects = await effectsTable(base);
    // The first settleEvent (the completion, inside the transaction) never answers.
    const hang = { calls: 1 };
    const storage = hangingStorage(base, ['settleEvent'], hang);
    const market = transactionalMarket(storage, { storageMs: 100 });
    market.on('payment_intent.succeeded', async (_event, ctx) => {
      const tx = ctx.storage as PostgresStorage;
      await tx.query(`INSERT INTO ${effects.table} (note) VALUES ('handler')`);
    });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const answer = await within(market.handleWebhook(sign(event)), 10_000);
    expect(answer).toMatchObject({ status: 500, outcome: 'failed', error: expect.stringContaining('storage.settleEvent') });
    expect(hang.calls).toBe(0);
    expect(await effects.rows()).toEqual([]);
    expect(await eventStatus(base, event.id)).toMatchObject({ status: 'failed' });
    expect((await storedOrder(base, 'order_1001'))?.status).toBe('pending');
    // The connection is usable and the event is taken again.
    expect(await market.handleWebhook(sign(event))).toMatchObject({ status: 200, outcome: 'processed' });
    expect(await effects.rows()).toEqual([{ note: 'handler' }]);
  });
});

describe('maintenance calls', () => {
  it('events.prune is not cut off by storageMs: a long prune is not reported as failed', async () => {
    const raw = memoryStorage();
    const slowPrune = new Proxy(raw, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === 'prune') {
          return async (...args: Parameters<MarketplaceStorage['prune']>) => {
            await new Promise((resolve) => setTimeout(resolve, 150));
            return target.prune(...args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { market } = makeMarket({ storage: slowPrune, timeouts: { storageMs: 20 } });
    await expect(market.events.prune()).resolves.toEqual({ events: 0, records: 0 });
    await expect(market.events.list()).resolves.toEqual([]);
  });
});
