import { describe, expect, it } from 'vitest';
import { type CommissionPolicy, percentage } from '../../src/index.js';
import { cartWorld } from '../carts/helpers.js';
import { completeHostedOnboarding, world } from '../world.js';
import { never, within } from './limits.js';

// The commission policy is asked by carts (once per item) and by subscriptions (when one is created, and for
// each invoice's fee in the invoice webhooks), not only by single-vendor checkouts: a policy that never
// answers must fail each of those calls with TIMEOUT (`timeouts.commissionMs`) instead of holding it up.

/** `percentage(10)`, except that its next `gate.hang` answers never come. */
function hangingNext(gate: { hang: number }): CommissionPolicy {
  const policy = percentage(10);
  return (ctx) => {
    if (gate.hang <= 0) return policy(ctx);
    gate.hang -= 1;
    return never();
  };
}

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

describe('a commission policy that never answers, outside single-vendor checkouts', () => {
  it('fails a cart checkout with TIMEOUT, before any order is stored or Stripe is charged', async () => {
    const w = await cartWorld(['ann', 'bob'], { commission: never, timeouts: { commissionMs: 50 } });
    const started = Date.now();
    await expect(
      within(
        w.market.createCheckout({
          orderId: 'cart_stuck',
          currency: 'gbp',
          items: [
            { vendorId: 'ann', amount: 1000 },
            { vendorId: 'bob', amount: 500 },
          ],
        }),
        5_000,
      ),
    ).rejects.toMatchObject({ code: 'TIMEOUT', details: { timeoutMs: 50 } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await w.market.getOrder('cart_stuck')).toBeNull();
    expect((await w.stripe.paymentIntents.list()).data).toEqual([]);
  });

  it('fails createSubscription with TIMEOUT, before any subscription is stored or created at Stripe', async () => {
    const w = world({ commission: never, timeouts: { commissionMs: 50 } });
    const { url } = await w.market.onboardVendor({ vendorId: 'coach', country: 'GB', ...urls });
    await completeHostedOnboarding(w, url);
    await w.sandbox.flushWebhooks();
    await expect(
      within(
        w.market.createSubscription({
          subscriptionId: 'sub_stuck',
          vendorId: 'coach',
          customer: { email: 'rider@example.com' },
          price: { amount: 900, currency: 'gbp', interval: 'month' },
        }),
        5_000,
      ),
    ).rejects.toMatchObject({ code: 'TIMEOUT', details: { timeoutMs: 50 } });
    expect(await w.market.getSubscription('sub_stuck')).toBeNull();
    expect((await w.stripe.subscriptions.list()).data).toEqual([]);
  });

  it("fails an invoice's webhook with TIMEOUT (500, unprocessed), and a later delivery records the fee", async () => {
    const gate = { hang: 0 };
    const w = world({ commission: hangingNext(gate), timeouts: { commissionMs: 50 } });
    const { url } = await w.market.onboardVendor({ vendorId: 'coach', country: 'GB', ...urls });
    await completeHostedOnboarding(w, url);
    await w.sandbox.flushWebhooks();
    const created = await w.market.createSubscription({
      subscriptionId: 'sub_1',
      vendorId: 'coach',
      customer: { email: 'rider@example.com' },
      price: { amount: 900, currency: 'gbp', interval: 'month' },
    });
    if (created.mode !== 'embedded' || !created.clientSecret) throw new Error('expected an embedded subscription');
    const intentId = created.clientSecret.split('_secret_')[0] as string;
    await w.stripe.paymentIntents.confirm(intentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    gate.hang = 1;
    const flushed = await within(w.sandbox.flushWebhooks(), 10_000);
    expect(gate.hang).toBe(0);
    const refused = flushed.attempts.filter((a) => a.status === 500);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.eventType).toMatch(/^invoice\./);
    // Redelivered (the sandbox retries at once in a flush), it went through.
    expect(flushed.attempts.filter((a) => a.eventId === refused[0]?.eventId).map((a) => a.status)).toEqual([500, 200]);
    expect(flushed.failed).toEqual([]);
    const invoices = await w.market.listInvoices('sub_1');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: 'paid', applicationFeeAmount: 90, vendorAmount: 810 });
  });
});
