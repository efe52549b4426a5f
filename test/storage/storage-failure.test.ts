import { PGlite } from '@electric-sql/pglite';
import nock from 'nock';
import pg from 'pg';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { Marketplace, percentage, type MarketplaceStorage } from '../../src/index.js';
import { postgresStorage } from '../../src/postgres.js';
import { envelope, type OrderRecord, VENDOR } from '../../src/core/records.js';
import { dropTables, relay, SERVER_REQUIRED, uniquePrefix } from './helpers.js';
import { activeVendor } from './postgres-fixtures.js';

const stripe = new Stripe('sk_test_storage_failure', { maxNetworkRetries: 0 });
const market = (storage: MarketplaceStorage) => new Marketplace({ stripe, storage, commission: percentage(12) });
const checkout = (orderId: string) => ({ orderId, vendorId: 'v1', amount: 2000, currency: 'gbp' });

/**
 * Records every request that tries to reach Stripe. The test setup forbids real connections, so a request
 * with no interceptor is refused, and nock reports it here.
 */
function stripeRequests() {
  const seen: string[] = [];
  const record = (request: { path?: string; hostname?: string; host?: string }) => {
    if (`${request.hostname ?? request.host}`.includes('stripe.com')) seen.push(`${request.path}`);
  };
  nock.emitter.on('no match', record);
  cleanups.push(() => nock.emitter.removeListener('no match', record));
  return seen;
}

/** The one PaymentIntent a successful checkout creates (consumed, so nothing is left pending). */
function stripeAcceptsOnePaymentIntent() {
  nock('https://api.stripe.com')
    .post('/v1/payment_intents')
    .reply(200, { id: 'pi_1', object: 'payment_intent', client_secret: 'pi_1_secret_x', amount: 2000, currency: 'gbp' });
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('when storage fails, createCheckout throws STORAGE_ERROR and sends nothing to Stripe', () => {
  it('a pg.Pool pointed at a closed port', async () => {
    const seen = stripeRequests();
    const pool = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    try {
      const error = await market(postgresStorage({ client: pool }))
        .createCheckout(checkout('o1'))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining('read the order') });
      expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      expect(seen).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('a PGlite database closed in the middle of a run', async () => {
    const seen = stripeRequests();
    const db = new PGlite();
    const storage = postgresStorage({ client: db });
    await storage.migrate();
    await storage.insert(envelope(VENDOR, activeVendor('v1')));
    const m = market(storage);
    stripeAcceptsOnePaymentIntent();
    expect(await m.createCheckout(checkout('o1'))).toMatchObject({ paymentIntentId: 'pi_1', applicationFeeAmount: 240 });
    expect(nock.isDone()).toBe(true);
    await db.close();
    await expect(m.createCheckout(checkout('o2'))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(seen).toEqual([]);
  });
});

describe.skipIf(!SERVER_REQUIRED)('when the PostgreSQL server goes away mid-run', () => {
  it('createCheckout throws STORAGE_ERROR and sends nothing more to Stripe', async () => {
    const url = new URL(process.env.DATABASE_URL ?? '');
    const link = await relay(url);
    const prefix = uniquePrefix('gone');
    const pool = link.pool();
    const direct = new pg.Pool({ connectionString: url.toString(), max: 1 });
    try {
      const seen = stripeRequests();
      const storage = postgresStorage({ client: pool, tablePrefix: prefix });
      await storage.migrate();
      await storage.insert(envelope(VENDOR, activeVendor('v1')));
      const m = market(storage);
      stripeAcceptsOnePaymentIntent();
      await m.createCheckout(checkout('o1'));
      expect(nock.isDone()).toBe(true);
      await link.cut();
      await expect(m.createCheckout(checkout('o2'))).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
      expect(seen).toEqual([]);
      const after = postgresStorage({ client: direct, tablePrefix: prefix });
      const orders = await after.list<OrderRecord>('order', { limit: 10 });
      expect(orders.map((o) => [o.data.orderId, o.data.paymentIntentId])).toEqual([['o1', 'pi_1']]);
      await dropTables(after);
    } finally {
      await pool.end().catch(() => undefined);
      await direct.end();
    }
  });
});
