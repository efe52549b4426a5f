import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Marketplace, percentage } from '../../src/index.js';
import { postgresStorage } from '../../src/postgres.js';
import { dropTables, pgliteFactory, SERVER_REQUIRED, serverPool } from '../storage/helpers.js';
import { cartWorld } from './helpers.js';

// Two processes share one PostgreSQL database: one processes the cart's payment event (its `after` step sends the
// transfers), the other runs `settleTransfers` at the same time. Each transfer is claimed by one of them only, so
// `transfers.create` is called once per vendor (the idempotency key `transfer:<orderId>:<vendorId>` would hide a
// second call at Stripe: https://docs.stripe.com/api/idempotent_requests), and the transfers add up to the charge
// minus the platform's fees (https://docs.stripe.com/connect/separate-charges-and-transfers).

const lite = pgliteFactory();
afterAll(() => lite.close());

async function race(storage: ReturnType<typeof postgresStorage>) {
  const w = await cartWorld(['ann', 'bob', 'cat'], { storage, webhookTransactions: true });
  const other = new Marketplace({
    stripe: w.stripe,
    storage,
    commission: percentage(12),
    webhookSecrets: { platform: 'whsec_unused', connect: 'whsec_unused' },
    livemode: false,
  });
  const create = vi.spyOn(w.stripe.transfers, 'create');
  for (let n = 1; n <= 5; n++) {
    const orderId = `cart_race_${n}`;
    const cart = await w.market.createCheckout({
      orderId,
      currency: 'jpy',
      items: [
        { vendorId: 'ann', amount: 1001 },
        { vendorId: 'bob', amount: 333 },
        { vendorId: 'cat', amount: 777 },
      ],
    });
    if (cart.mode !== 'embedded') throw new Error('expected an embedded cart');
    await w.stripe.paymentIntents.confirm(cart.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    const [delivered] = await Promise.all([w.sandbox.flushWebhooks(), other.settleTransfers(), other.settleTransfers()]);
    expect(delivered.failed).toEqual([]);
    await other.settleTransfers();
    const made = (await w.stripe.transfers.list({ transfer_group: orderId, limit: 100 })).data;
    expect(made.map((t) => t.amount).sort((a, b) => a - b)).toEqual([293, 684, 881]);
    expect(made.reduce((s, t) => s + t.amount, 0) + cart.applicationFeeAmount).toBe(2111);
    expect((await w.market.listTransfers(orderId)).every((t) => t.status === 'paid' && t.attempts === 1)).toBe(true);
  }
  expect(create).toHaveBeenCalledTimes(15);
}

describe('settleTransfers racing the payment event’s after step on PostgreSQL', () => {
  it('PGlite, webhookTransactions on: each transfer is created once', async () => {
    const storage = await lite.create();
    try {
      await race(storage);
    } finally {
      await lite.cleanup(storage);
    }
  });

  describe.skipIf(!SERVER_REQUIRED)('the PostgreSQL server', () => {
    let pool: pg.Pool;
    beforeAll(() => {
      pool = serverPool(8);
    });
    afterAll(() => pool?.end());
    it('webhookTransactions on: each transfer is created once', async () => {
      const storage = postgresStorage({ client: pool, tablePrefix: `t_settlerace_${process.pid}_` });
      await storage.migrate();
      try {
        await race(storage);
      } finally {
        await dropTables(storage);
      }
    });
  });
});
