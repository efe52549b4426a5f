import { describe, expect, it } from 'vitest';
import { type CommissionPolicy, fixedFee, isMarketplaceError } from '../../src/index.js';
import type { WebhookDeliveryOptions } from '../../src/testing/index.js';
import { completeHostedOnboarding, world } from '../world.js';

// Stripe facts these tests depend on:
// - Stripe finalizes a renewal's draft about an hour after `invoice.created`, once its webhooks succeeded, and at most
//   72 hours later: https://docs.stripe.com/invoicing/integration/workflow-transitions
// - Three-decimal currencies need a last digit of 0: https://docs.stripe.com/currencies#three-decimal

const HOUR = 3600 * 1000;
const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function ready(commission: CommissionPolicy, webhooks: WebhookDeliveryOptions = {}) {
  const clock = { now: () => Date.now() };
  const w = world({ commission, now: () => clock.now() }, webhooks);
  clock.now = () => w.sandbox.nowMs();
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'coach_7', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.sandbox.flushWebhooks();
  return { ...w, accountId };
}
type W = Awaited<ReturnType<typeof ready>>;

async function subscribe(w: W, price = { amount: 900, currency: 'gbp', interval: 'month' as const }) {
  const created = await w.market.createSubscription({
    subscriptionId: 'sub_local_1',
    vendorId: 'coach_7',
    customer: { email: 'rider@example.com' },
    price,
  });
  if (created.mode !== 'embedded' || !created.clientSecret) throw new Error('expected an embedded subscription');
  const intentId = created.clientSecret.split('_secret_')[0] as string;
  await w.stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: 'https://market.example/p' });
  expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
  return created;
}

async function vendorNet(w: W): Promise<number> {
  const transfers = await w.stripe.transfers.list({ destination: w.accountId, limit: 100 });
  return transfers.data.reduce((sum, t) => sum + t.amount - t.amount_reversed, 0);
}

describe('subscriptions under stress', () => {
  it('a fee policy that throws on one renewal: its events fail until the policy recovers, then the fee is taken once', async () => {
    let broken = false;
    const policy: CommissionPolicy = (ctx) => {
      if (broken && ctx.invoiceId) throw new Error('fee service down');
      return 150;
    };
    const w = await ready(policy);
    await subscribe(w);
    broken = true;
    const record = await w.market.getSubscription('sub_local_1');
    w.sandbox.advanceTime((record?.currentPeriodEnd as number) * 1000 - w.sandbox.nowMs() + 1000);
    const first = await w.sandbox.flushWebhooks();
    expect(first.failed.map((a) => a.eventType)).toContain('invoice.created');
    w.sandbox.advanceTime(HOUR);
    await w.sandbox.flushWebhooks();
    // The sandbox gives up after four attempts; Stripe keeps retrying for three days. Replaying the failed events from
    // the inbox stands for those retries once the policy is back.
    const before = (await w.market.listInvoices('sub_local_1')).find((i) => i.billingReason === 'subscription_cycle');
    expect(before?.applicationFeeAmount).toBeNull();
    broken = false;
    const replayed = await w.market.events.replayFailed();
    expect(replayed).toMatchObject({ failed: 0 });
    const invoices = await w.market.listInvoices('sub_local_1');
    expect(invoices.map((i) => [i.status, i.applicationFeeAmount, i.vendorAmount])).toEqual([
      ['paid', 150, 750],
      ['paid', 150, 750],
    ]);
    expect(await vendorNet(w)).toBe(2 * 750);
  });

  it('an invoice of a subscription the library does not know is answered 200 and stores nothing', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    const customer = await w.stripe.customers.create({ email: 'other@example.com' });
    const price = await w.stripe.prices.create({
      currency: 'gbp',
      unit_amount: 500,
      recurring: { interval: 'month' },
      product_data: { name: 'Elsewhere' },
    });
    await w.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      payment_behavior: 'default_incomplete',
      transfer_data: { destination: w.accountId },
      metadata: { subscription_id: 'not_ours' },
    });
    const delivered = await w.sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);
    expect(delivered.attempts.some((a) => a.eventType === 'invoice.created')).toBe(true);
    expect(await w.market.listSubscriptions({})).toEqual([]);
    expect(await w.market.listInvoices('not_ours')).toEqual([]);
  });

  it('a hosted subscription whose completion events are delivered twice and out of order is one subscription', async () => {
    const w = await ready(fixedFee({ gbp: 150 }), { duplicate: true, outOfOrder: true });
    const created = await w.market.createSubscription({
      mode: 'hosted',
      subscriptionId: 'sub_h',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: { amount: 900, currency: 'gbp', interval: 'month' },
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    if (created.mode !== 'hosted') throw new Error('expected hosted');
    await w.sandbox.payCheckoutSession(created.sessionId);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const again = await w.market.createSubscription({
      mode: 'hosted',
      subscriptionId: 'sub_h',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: { amount: 900, currency: 'gbp', interval: 'month' },
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    expect(again).toMatchObject({ sessionId: created.sessionId, url: null });
    const subs = await w.stripe.subscriptions.list({ limit: 10 });
    expect(subs.data).toHaveLength(1);
    const invoices = await w.market.listInvoices('sub_h');
    expect(invoices.map((i) => [i.status, i.applicationFeeAmount, i.vendorAmount])).toEqual([['paid', 150, 750]]);
    expect(await vendorNet(w)).toBe(750);
  });

  it('cancel now, then resume: refused, and the record stays canceled', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    await subscribe(w);
    const canceled = await w.market.cancelSubscription({ subscriptionId: 'sub_local_1' });
    expect(canceled.status).toBe('canceled');
    const error = await w.market.resumeSubscription({ subscriptionId: 'sub_local_1' }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'INVALID_INPUT')).toBe(true);
    await w.sandbox.flushWebhooks();
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'canceled' });
  });

  it('currencies: a KWD price whose last digit is not 0 is refused before Stripe; JPY splits in whole yen', async () => {
    const w = await ready(fixedFee({ gbp: 150, jpy: 100, kwd: 500 }));
    const bad = await w.market
      .createSubscription({
        subscriptionId: 'sub_kwd',
        vendorId: 'coach_7',
        customer: { email: 'rider@example.com' },
        price: { amount: 5005, currency: 'kwd', interval: 'month' },
      })
      .catch((e: unknown) => e);
    expect(isMarketplaceError(bad, 'INVALID_INPUT')).toBe(true);
    expect((await w.stripe.customers.list({ limit: 10 })).data).toHaveLength(0);
    await subscribe(w, { amount: 1000, currency: 'jpy', interval: 'month' });
    const invoices = await w.market.listInvoices('sub_local_1');
    expect(invoices.map((i) => [i.currency, i.amount, i.applicationFeeAmount, i.vendorAmount])).toEqual([
      ['jpy', 1000, 100, 900],
    ]);
  });
});

describe('the first invoice fee reversal', () => {
  // https://docs.stripe.com/api/transfer_reversals: a transfer can be reversed in parts; `amount_reversed` sums them all.
  it('is made even when the transfer was partly reversed by a refund before invoice.paid was processed', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    const created = await w.market.createSubscription({
      subscriptionId: 'sub_local_1',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: { amount: 900, currency: 'gbp', interval: 'month' },
    });
    if (created.mode !== 'embedded' || !created.clientSecret) throw new Error('expected an embedded subscription');
    const intentId = created.clientSecret.split('_secret_')[0] as string;
    const intent = await w.stripe.paymentIntents.confirm(intentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/p',
    });
    // A refund of 100 made in the Dashboard with reverse_transfer, before the invoice's events are processed.
    await w.stripe.refunds.create({ charge: intent.latest_charge as string, amount: 100, reverse_transfer: true });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const invoice = (await w.market.listInvoices('sub_local_1'))[0];
    expect(invoice).toMatchObject({ status: 'paid', applicationFeeAmount: 150, feeMethod: 'transfer_reversal' });
    // The vendor received 900, gave back 100 with the refund, and 150 as the platform's fee.
    expect(await vendorNet(w)).toBe(900 - 100 - 150);
  });
});
