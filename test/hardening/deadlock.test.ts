import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStorage, type PostgresClient } from '../../src/postgres.js';
import { DATABASE_URL, SERVER_REQUIRED, uniquePrefix } from '../storage/helpers.js';
import { completeHostedOnboarding, world } from '../world.js';

/** Rejects when `promise` has not settled after `ms`: a deadlock fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (deadlock)`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

interface Setup {
  readonly name: string;
  readonly run: boolean;
  readonly open: () => Promise<{ client: PostgresClient; close: () => Promise<void> }>;
}

const setups: Setup[] = [
  {
    name: 'PGlite',
    run: true,
    open: async () => {
      const db = new PGlite();
      return { client: db, close: () => db.close() };
    },
  },
  {
    name: 'one pg.Client',
    run: SERVER_REQUIRED,
    open: async () => {
      const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5_000 });
      await client.connect();
      return { client, close: () => client.end() };
    },
  },
  {
    name: 'a pg.Pool of 1',
    run: SERVER_REQUIRED,
    open: async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 20_000 });
      return { client: pool, close: () => pool.end() };
    },
  },
  {
    name: 'a pg.Pool of 2',
    run: SERVER_REQUIRED,
    open: async () => {
      const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, connectionTimeoutMillis: 20_000 });
      return { client: pool, close: () => pool.end() };
    },
  },
];

describe.each(setups)('webhookTransactions on $name', (setup) => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  async function onboarded(options: { handlerCallsMarketplace?: boolean } = {}) {
    const { client, close } = await setup.open();
    closers.push(close);
    const storage = postgresStorage({ client, tablePrefix: uniquePrefix('dl') });
    await storage.migrate();
    const w = world({ storage, webhookTransactions: true, timeouts: { storageMs: 500, handlerMs: 2_000 } });
    if (options.handlerCallsMarketplace) {
      // A handler that calls the Marketplace, whose storage calls wait for the connection the event's own
      // transaction holds (on PGlite, one pg.Client or a pool of 1). ctx.storage is the one to use.
      w.market.on('account.updated', async () => {
        await w.market.completeOnboarding({ vendorId: 'v1' });
      });
    }
    const { url } = await w.market.onboardVendor({
      vendorId: 'v1',
      country: 'GB',
      returnUrl: 'https://example.com/r',
      refreshUrl: 'https://example.com/f',
    });
    await completeHostedOnboarding(w, url);
    return w;
  }

  it.runIf(setup.run)('account.updated while completeOnboarding re-reads the same account', async () => {
    const w = await onboarded();
    const results = await within(
      Promise.all([w.market.completeOnboarding({ vendorId: 'v1' }), w.sandbox.flushWebhooks()]),
      15_000,
      'completeOnboarding and the webhook',
    );
    expect(results[0].status).toBe('active');
    expect(await within(w.market.getVendor('v1'), 5_000, 'a read after')).toMatchObject({ status: 'active' });
  });

  it.runIf(setup.run)('a handler that calls the Marketplace inside the transaction: bounded, and storage recovers', async () => {
    const w = await onboarded({ handlerCallsMarketplace: true });
    const [completed, flushed] = await within(
      Promise.all([w.market.completeOnboarding({ vendorId: 'v1' }), w.sandbox.flushWebhooks()]),
      20_000,
      'completeOnboarding and the webhook',
    );
    expect(completed.status).toBe('active');
    const statuses = flushed.attempts.map((attempt) => attempt.status);
    expect(statuses.length).toBeGreaterThan(0);
    // Storage answers afterwards: nothing holds the connection.
    expect(await within(w.market.getVendor('v1'), 5_000, 'a read after')).toMatchObject({ status: 'active' });
    const events = await within(w.market.events.list({ limit: 100 }), 5_000, 'the inbox');
    // Each delivery either committed (a pool with a free connection) or failed with its error recorded.
    for (const event of events) expect(['processed', 'failed']).toContain(event.status);
    if (setup.name !== 'a pg.Pool of 2') {
      expect(statuses).toContain(500);
      expect(events.some((event) => event.status === 'failed' && /did not answer within/.test(event.lastError ?? ''))).toBe(true);
    }
  });

  it.runIf(setup.run)('account.updated while createCheckout re-reads the same account', async () => {
    const w = await onboarded();
    const results = await within(
      Promise.all([
        w.market.createCheckout({ orderId: 'o1', vendorId: 'v1', amount: 1000, currency: 'gbp' }),
        w.sandbox.flushWebhooks(),
      ]),
      15_000,
      'createCheckout and the webhook',
    );
    expect(results[0].amount).toBe(1000);
  });

  it.runIf(setup.run)('no Stripe call runs while the library holds a connection in a transaction', async () => {
    const { client, close } = await setup.open();
    closers.push(close);
    const base = postgresStorage({ client, tablePrefix: uniquePrefix('dl') });
    await base.migrate();
    let open = 0;
    let transactions = 0;
    const storage = new Proxy(base, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop !== 'transaction') return typeof value === 'function' ? value.bind(target) : value;
        return async (fn: (tx: unknown) => Promise<unknown>) =>
          target.transaction(async (tx) => {
            open += 1;
            transactions += 1;
            try {
              return await fn(tx);
            } finally {
              open -= 1;
            }
          });
      },
    });
    const w = world({ storage, webhookTransactions: true });
    const calls = { outside: 0, inside: [] as string[] };
    for (const [name, resource] of [
      ['accounts', w.stripe.accounts],
      ['paymentIntents', w.stripe.paymentIntents],
      ['checkout.sessions', w.stripe.checkout.sessions],
    ] as const) {
      const target = resource as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      for (const method of ['retrieve', 'create', 'list']) {
        const original = target[method] as (...args: unknown[]) => Promise<unknown>;
        target[method] = (...args: unknown[]) => {
          if (open > 0) calls.inside.push(`${name}.${method}`);
          else calls.outside += 1;
          return original.apply(resource, args);
        };
      }
    }
    const { url } = await w.market.onboardVendor({
      vendorId: 'v1',
      country: 'GB',
      returnUrl: 'https://example.com/r',
      refreshUrl: 'https://example.com/f',
    });
    await completeHostedOnboarding(w, url);
    const checkout = await w.market.createCheckout({
      mode: 'hosted',
      orderId: 'o1',
      vendorId: 'v1',
      currency: 'gbp',
      lineItems: [{ name: 'Ride', unitAmount: 1500, quantity: 1 }],
      successUrl: 'https://example.com/ok',
      cancelUrl: 'https://example.com/no',
    });
    if (checkout.mode !== 'hosted') throw new Error('expected a hosted checkout');
    await w.sandbox.payCheckoutSession(checkout.sessionId);
    const before = calls.outside;
    const flushed = await within(w.sandbox.flushWebhooks(), 30_000, 'the deliveries');
    expect(flushed.failed).toEqual([]);
    // The deliveries re-read from Stripe (account.updated at least), and never inside a transaction.
    expect(calls.outside).toBeGreaterThan(before);
    expect(calls.inside).toEqual([]);
    expect(transactions).toBeGreaterThanOrEqual(flushed.attempts.length);
    expect(await w.market.getOrder('o1')).toMatchObject({ status: 'succeeded' });
  });
});
