import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMarketplaceError, Marketplace, percentage } from '../../src/index.js';
import { postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { createSandbox, SANDBOX_API_VERSION } from '../../src/testing/index.js';
import { dropTables, pgliteFactory, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';
import type { MarketplaceStorage } from '../../src/storage/types.js';

// Over-refunding is refused before Stripe is called, also when many callers refund one order at once: the amount is
// reserved on the order with a version-guarded write, so exactly what is left is refunded, never more.

const WORKER = fileURLToPath(new URL('./refund-worker.mjs', import.meta.url));
const ORDER = 'order_race';

/** A vendor, and a paid order of 2000 GBP (fee 240) on `storage`, through the sandbox. */
async function paidOrder(storage: MarketplaceStorage) {
  const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
  const stripe = sandbox.stripe();
  const platform = sandbox.addWebhookEndpoint({ handler: (body, signature) => market.handleWebhook({ body, signature }) });
  const market: Marketplace = new Marketplace({
    stripe,
    storage,
    commission: percentage(12),
    webhookSecrets: { platform: platform.secret },
    livemode: false,
  });
  const { accountId } = await market.onboardVendor({
    vendorId: 'driver_42',
    country: 'GB',
    returnUrl: 'https://market.example/return',
    refreshUrl: 'https://market.example/refresh',
  });
  sandbox.completeOnboarding(accountId);
  await market.completeOnboarding({ vendorId: 'driver_42' });
  const checkout = await market.createCheckout({ orderId: ORDER, vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  const intent = await stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  await sandbox.flushWebhooks();
  const order = await market.getOrder(ORDER);
  if (order?.status !== 'succeeded') throw new Error(`the order is ${order?.status}, not succeeded`);
  return { sandbox, stripe, market, charge: intent.latest_charge as string };
}

async function refundedAtStripe(w: Awaited<ReturnType<typeof paidOrder>>): Promise<number> {
  const refunds = await w.stripe.refunds.list({ charge: w.charge, limit: 100 });
  return refunds.data.reduce((sum, r) => sum + r.amount, 0);
}

describe('50 concurrent refunds of one order, in one process', () => {
  const lite = pgliteFactory();
  afterAll(() => lite.close());

  it('on PGlite: 13 refunds of 150 succeed, 37 are refused before Stripe, and Stripe refunded 1950', async () => {
    const storage = await lite.create();
    const w = await paidOrder(storage);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => w.market.refund({ orderId: ORDER, refundId: `p${i}`, amount: 150 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(13);
    expect(
      results.filter((r) => r.status === 'rejected' && isMarketplaceError(r.reason, 'REFUND_EXCEEDS_REMAINING')),
    ).toHaveLength(37);
    expect(await refundedAtStripe(w)).toBe(1950);
    expect(await w.market.getOrder(ORDER)).toMatchObject({ amountRefunded: 1950, status: 'partially_refunded' });
    await lite.cleanup(storage);
  });
});

describe.skipIf(!SERVER_REQUIRED)('50 concurrent refunds of one order, across processes on one PostgreSQL database', () => {
  let pool: pg.Pool;
  let storage: PostgresStorage;
  beforeAll(async () => {
    pool = serverPool(10);
    storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('refunds') });
    await storage.migrate();
  });
  afterAll(async () => {
    await dropTables(storage);
    await pool.end();
  });

  it('5 processes of 10 callers: exactly the 2000 charged is refunded (13 x 150 + the last 50), never more', async () => {
    const w = await paidOrder(storage);
    const server = await w.sandbox.listen();
    try {
      const workers = Array.from({ length: 5 }, (_, n) => {
        const child = spawn(process.execPath, [WORKER], {
          env: {
            ...process.env,
            TABLE_PREFIX: storage.tablePrefix,
            SANDBOX_PORT: String(server.port),
            API_VERSION: SANDBOX_API_VERSION,
            ORDER_ID: ORDER,
            CALLERS: '10',
            AMOUNT: '150',
            WORKER: `w${n}`,
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
        });
        // 'close', not 'exit': 'exit' can come before the child's last stdout chunk has been read.
        return once(child, 'close').then(([code]) => {
          if (code !== 0) throw new Error(`worker w${n} exited with ${code}`);
          return JSON.parse(out) as { ok: { refundId: string; amount: number }[]; errors: string[] };
        });
      });
      const outcomes = await Promise.all(workers);
      const ok = outcomes.flatMap((o) => o.ok);
      const errors = outcomes.flatMap((o) => o.errors);
      expect(ok).toHaveLength(13);
      expect(errors).toEqual(Array.from({ length: 37 }, () => 'REFUND_EXCEEDS_REMAINING'));
      expect(await refundedAtStripe(w)).toBe(1950);
      const last = await w.market.refund({ orderId: ORDER, refundId: 'last' });
      expect(last.amount).toBe(50);
      expect(await refundedAtStripe(w)).toBe(2000);
      const over = await w.market.refund({ orderId: ORDER, refundId: 'over', amount: 1 }).catch((e: unknown) => e);
      expect(isMarketplaceError(over, 'REFUND_EXCEEDS_REMAINING')).toBe(true);
    } finally {
      await server.close();
    }
  }, 60_000);
});
