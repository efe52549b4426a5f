import { afterAll, describe, expect, it } from 'vitest';
import { type CommissionPolicy, fixedFee, memoryStorage, percentage, SUBSCRIPTION } from '../../src/index.js';
import { mutateRecord } from '../../src/services/records.js';
import type { WebhookDeliveryOptions } from '../../src/testing/index.js';
import { pgliteFactory } from '../storage/helpers.js';
import { completeHostedOnboarding, world } from '../world.js';

const HOUR = 3600 * 1000;
const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };
const PRICE = { amount: 900, currency: 'gbp', interval: 'month' as const };

async function ready(
  commission: CommissionPolicy,
  webhooks: WebhookDeliveryOptions = {},
  options: Partial<Parameters<typeof world>[0]> = {},
) {
  // The Marketplace reads the sandbox's clock, which renewals move forward (signatures are checked against it).
  const clock = { now: () => Date.now() };
  const w = world({ commission, now: () => clock.now(), ...options }, webhooks);
  clock.now = () => w.sandbox.nowMs();
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'coach_7', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await flush(w);
  return { ...w, accountId };
}

type W = Awaited<ReturnType<typeof ready>>;

async function flush(w: Pick<W, 'sandbox'>) {
  const result = await w.sandbox.flushWebhooks();
  expect(result.failed).toEqual([]);
  return result;
}

/** Creates an embedded subscription and confirms its first payment as Stripe.js would. */
async function subscribeEmbedded(w: W, subscriptionId = 'sub_local_1', card = 'pm_card_visa') {
  const created = await w.market.createSubscription({
    subscriptionId,
    vendorId: 'coach_7',
    customer: { email: 'rider@example.com', name: 'Ada' },
    price: PRICE,
  });
  if (created.mode !== 'embedded' || !created.clientSecret) throw new Error('expected an embedded subscription to confirm');
  const intentId = created.clientSecret.split('_secret_')[0] as string;
  await w.stripe.paymentIntents.confirm(intentId, { payment_method: card, return_url: 'https://market.example/paid' });
  await flush(w);
  return created;
}

/**
 * One renewal: the period ends, Stripe creates the draft (`invoice.created`, delivered: the library sets the fee
 * on it), and an hour later finalizes and charges it. https://docs.stripe.com/billing/subscriptions/webhooks
 */
async function renew(w: W, subscriptionId: string) {
  const record = await w.market.getSubscription(subscriptionId);
  const sub = await w.stripe.subscriptions.retrieve(record?.stripeSubscriptionId as string);
  const end = (sub.items.data[0]?.current_period_end as number) * 1000;
  w.sandbox.advanceTime(end - w.sandbox.nowMs() + 1000);
  await flush(w);
  w.sandbox.advanceTime(HOUR);
  await flush(w);
}

/**
 * What the vendor kept: its transfers, net of reversals, less the application fees collected from it (a
 * destination charge with a fee transfers the whole amount, then takes the fee back:
 * https://docs.stripe.com/connect/destination-charges#application-fee).
 */
async function vendorNet(w: W): Promise<number> {
  const transfers = await w.stripe.transfers.list({ destination: w.accountId, limit: 100 });
  const gross = transfers.data.reduce((sum, t) => sum + t.amount - t.amount_reversed, 0);
  return gross - (await applicationFees(w));
}

async function applicationFees(w: W): Promise<number> {
  const fees = await w.stripe.applicationFees.list({ limit: 100 });
  return fees.data.reduce((sum, f) => sum + f.amount - f.amount_refunded, 0);
}

describe('createSubscription with a percentage policy (application_fee_percent)', () => {
  // https://docs.stripe.com/connect/subscriptions and https://docs.stripe.com/api/subscriptions/create:
  // application_fee_percent (0-100, two decimals) and transfer_data.destination on a platform subscription.
  it('embedded: 12 % of 900 is 108 on the first invoice and on each of two renewals; the splits add up', async () => {
    const w = await ready(percentage(12));
    const created = await subscribeEmbedded(w);
    expect(created).toMatchObject({
      mode: 'embedded',
      feeMode: 'application_fee_percent',
      applicationFeePercent: 12,
      applicationFeeAmount: 108,
      vendorAmount: 792,
      accountId: w.accountId,
    });
    const sub = await w.stripe.subscriptions.retrieve(created.stripeSubscriptionId);
    expect(sub.application_fee_percent).toBe(12);
    expect(sub.transfer_data?.destination).toBe(w.accountId);
    expect(sub.metadata).toMatchObject({ subscription_id: 'sub_local_1', vendor_id: 'coach_7' });

    await renew(w, 'sub_local_1');
    await renew(w, 'sub_local_1');
    const invoices = await w.market.listInvoices('sub_local_1');
    expect(invoices).toHaveLength(3);
    for (const invoice of invoices) {
      expect(invoice).toMatchObject({
        status: 'paid',
        amount: 900,
        applicationFeeAmount: 108,
        vendorAmount: 792,
        feeMethod: 'application_fee_percent',
      });
    }
    expect(invoices.map((i) => i.billingReason).sort()).toEqual([
      'subscription_create',
      'subscription_cycle',
      'subscription_cycle',
    ]);
    expect(await applicationFees(w)).toBe(3 * 108);
    expect(await vendorNet(w)).toBe(3 * 792);
    expect((await applicationFees(w)) + (await vendorNet(w))).toBe(3 * 900);
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'active', customerId: sub.customer });
  });

  it('hosted: a Checkout Session in subscription mode; the record learns its subscription when the customer pays', async () => {
    const w = await ready(percentage(12.5));
    const created = await w.market.createSubscription({
      mode: 'hosted',
      subscriptionId: 'sub_hosted_1',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: PRICE,
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    if (created.mode !== 'hosted') throw new Error('expected hosted');
    expect(created.url).toMatch(/^http/);
    const session = await w.stripe.checkout.sessions.retrieve(created.sessionId);
    expect(session.mode).toBe('subscription');
    expect(await w.market.getSubscription('sub_hosted_1')).toMatchObject({ status: 'pending', stripeSubscriptionId: null });

    await w.sandbox.payCheckoutSession(created.sessionId);
    await flush(w);
    const record = await w.market.getSubscription('sub_hosted_1');
    expect(record).toMatchObject({ status: 'active', feeMode: 'application_fee_percent', applicationFeePercent: 12.5 });
    expect(record?.stripeSubscriptionId).toMatch(/^sub_/);
    await renew(w, 'sub_hosted_1');
    // 12.5 % of 900 = 112.5, half up: 113.
    const invoices = await w.market.listInvoices('sub_hosted_1');
    expect(invoices.map((i) => [i.status, i.applicationFeeAmount, i.vendorAmount])).toEqual([
      ['paid', 113, 787],
      ['paid', 113, 787],
    ]);
    expect((await applicationFees(w)) + (await vendorNet(w))).toBe(2 * 900);
  });
});

describe('createSubscription with any other policy (priced per invoice)', () => {
  // https://docs.stripe.com/api/invoices/update#update_invoice-transfer_data-amount: "The amount that will be
  // transferred automatically when the invoice is paid", editable while the renewal is a draft
  // (https://docs.stripe.com/billing/subscriptions/webhooks). The first invoice is finalized at once
  // (https://docs.stripe.com/billing/invoices/subscription), so its fee is reversed from the transfer
  // (https://docs.stripe.com/api/transfer_reversals/create).
  it('embedded, fixed fee 150: the first invoice by reversal, two renewals by transfer_data.amount; the splits add up', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    const created = await subscribeEmbedded(w);
    expect(created).toMatchObject({ feeMode: 'per_invoice', applicationFeePercent: null, applicationFeeAmount: 150 });
    const sub = await w.stripe.subscriptions.retrieve(created.stripeSubscriptionId);
    expect(sub.application_fee_percent).toBeNull();

    await renew(w, 'sub_local_1');
    await renew(w, 'sub_local_1');
    const invoices = (await w.market.listInvoices('sub_local_1')).sort((a, b) => (a.periodStart ?? 0) - (b.periodStart ?? 0));
    expect(invoices.map((i) => [i.billingReason, i.status, i.applicationFeeAmount, i.vendorAmount, i.feeMethod])).toEqual([
      ['subscription_create', 'paid', 150, 750, 'transfer_reversal'],
      ['subscription_cycle', 'paid', 150, 750, 'transfer_amount'],
      ['subscription_cycle', 'paid', 150, 750, 'transfer_amount'],
    ]);
    for (const invoice of invoices.slice(1)) {
      const full = await w.stripe.invoices.retrieve(invoice.invoiceId);
      const intentId = full.payments?.data[0]?.payment.payment_intent as string;
      const intent = await w.stripe.paymentIntents.retrieve(intentId);
      expect(intent.transfer_data).toMatchObject({ destination: w.accountId, amount: 750 });
    }
    const transfers = await w.stripe.transfers.list({ destination: w.accountId, limit: 100 });
    expect(transfers.data.map((t) => t.amount - t.amount_reversed)).toEqual([750, 750, 750]);
    expect(await vendorNet(w)).toBe(3 * 750);
    // The platform keeps 900 - 750 of each charge: nothing is an application fee object.
    expect(await applicationFees(w)).toBe(0);
  });

  // https://docs.stripe.com/invoicing/integration/workflow-transitions: Stripe finalizes a draft an hour after a
  // successful answer to invoice.created (at most 72 hours later), so a failed fee step is retried on the draft.
  it('an invoice.created that fails after its fee was set answers 500 and, redelivered, sets the same fee once', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    await subscribeEmbedded(w);
    let failures = 1;
    w.market.on('invoice.created', () => {
      if (failures-- > 0) throw new Error('handler down');
    });
    const record = await w.market.getSubscription('sub_local_1');
    const sub = await w.stripe.subscriptions.retrieve(record?.stripeSubscriptionId as string);
    w.sandbox.advanceTime((sub.items.data[0]?.current_period_end as number) * 1000 - w.sandbox.nowMs() + 1000);
    const delivered = await flush(w);
    const created = delivered.attempts.filter((a) => a.eventType === 'invoice.created').map((a) => a.status);
    expect(created).toEqual([500, 200]);
    w.sandbox.advanceTime(HOUR);
    await flush(w);
    const renewal = (await w.market.listInvoices('sub_local_1')).find((i) => i.billingReason === 'subscription_cycle');
    expect(renewal).toMatchObject({ status: 'paid', applicationFeeAmount: 150, feeMethod: 'transfer_amount' });
    expect(await vendorNet(w)).toBe(2 * 750);
  });

  it('a renewal finalized before its invoice.created was processed gets its fee by reversal once paid', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    await subscribeEmbedded(w);
    const record = await w.market.getSubscription('sub_local_1');
    // The draft is created, finalized and charged before any of its events reach the platform.
    w.sandbox.advanceTime((record?.currentPeriodEnd as number) * 1000 - w.sandbox.nowMs() + HOUR + 1000);
    await flush(w);
    const renewal = (await w.market.listInvoices('sub_local_1')).find((i) => i.billingReason === 'subscription_cycle');
    expect(renewal).toMatchObject({ status: 'paid', applicationFeeAmount: 150, feeMethod: 'transfer_reversal' });
    expect(await vendorNet(w)).toBe(2 * 750);
  });

  it('duplicated and reordered deliveries apply each fee once', async () => {
    const w = await ready(fixedFee({ gbp: 150 }), { duplicate: true, outOfOrder: true });
    await subscribeEmbedded(w);
    await renew(w, 'sub_local_1');
    await renew(w, 'sub_local_1');
    const invoices = await w.market.listInvoices('sub_local_1');
    expect(invoices.map((i) => [i.status, i.applicationFeeAmount, i.vendorAmount])).toEqual([
      ['paid', 150, 750],
      ['paid', 150, 750],
      ['paid', 150, 750],
    ]);
    const transfers = await w.stripe.transfers.list({ destination: w.accountId, limit: 100 });
    expect(transfers.data.map((t) => t.amount_reversed).sort()).toEqual([0, 0, 150]);
    expect(await vendorNet(w)).toBe(3 * 750);
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'active' });
  });

  it('hosted, fixed fee: the first invoice fee is reversed once the customer paid through Checkout', async () => {
    const w = await ready(fixedFee({ gbp: 200 }));
    const created = await w.market.createSubscription({
      mode: 'hosted',
      subscriptionId: 'sub_hosted_2',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: PRICE,
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    if (created.mode !== 'hosted') throw new Error('expected hosted');
    await w.sandbox.payCheckoutSession(created.sessionId);
    await flush(w);
    await renew(w, 'sub_hosted_2');
    const invoices = await w.market.listInvoices('sub_hosted_2');
    expect(invoices.map((i) => [i.applicationFeeAmount, i.vendorAmount]).sort()).toEqual([
      [200, 700],
      [200, 700],
    ]);
    expect(invoices.map((i) => i.feeMethod).sort()).toEqual(['transfer_amount', 'transfer_reversal']);
    expect(await vendorNet(w)).toBe(2 * 700);
  });
});

describe('renewals that fail, and the subscription lifecycle', () => {
  it('a failed renewal leaves its invoice open with the failure counted and the subscription past_due', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    const created = await subscribeEmbedded(w);
    await w.stripe.subscriptions.update(created.stripeSubscriptionId, { default_payment_method: 'pm_card_chargeDeclined' });
    await flush(w);
    await renew(w, 'sub_local_1');
    const renewal = (await w.market.listInvoices('sub_local_1')).find((i) => i.billingReason === 'subscription_cycle');
    expect(renewal).toMatchObject({ status: 'open', paymentFailures: 1, applicationFeeAmount: 150 });
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'past_due' });
    // Only the first invoice's payment reached the vendor.
    expect(await vendorNet(w)).toBe(750);
  });

  it('pauses (renewal voided), resumes, cancels at period end, withdraws it, then cancels now', async () => {
    const w = await ready(percentage(10));
    await subscribeEmbedded(w);
    const paused = await w.market.pauseSubscription({ subscriptionId: 'sub_local_1' });
    expect(paused.pauseCollection).toBe('void');
    await flush(w);
    await renew(w, 'sub_local_1');
    const voided = (await w.market.listInvoices('sub_local_1')).find((i) => i.billingReason === 'subscription_cycle');
    expect(voided?.status).toBe('void');

    const resumed = await w.market.resumeSubscription({ subscriptionId: 'sub_local_1' });
    expect(resumed).toMatchObject({ pauseCollection: null, status: 'active' });
    await renew(w, 'sub_local_1');
    const paid = (await w.market.listInvoices('sub_local_1')).filter((i) => i.status === 'paid');
    expect(paid).toHaveLength(2);

    const atEnd = await w.market.cancelSubscription({ subscriptionId: 'sub_local_1', atPeriodEnd: true });
    expect(atEnd).toMatchObject({ cancelAtPeriodEnd: true, status: 'active' });
    const kept = await w.market.resumeSubscription({ subscriptionId: 'sub_local_1' });
    expect(kept.cancelAtPeriodEnd).toBe(false);
    await flush(w);

    const canceled = await w.market.cancelSubscription({ subscriptionId: 'sub_local_1' });
    expect(canceled.status).toBe('canceled');
    expect(canceled.endedAt).not.toBeNull();
    await flush(w);
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'canceled' });
    // Cancelling again is answered from storage; resuming an ended subscription is refused.
    expect((await w.market.cancelSubscription({ subscriptionId: 'sub_local_1' })).status).toBe('canceled');
    await expect(w.market.resumeSubscription({ subscriptionId: 'sub_local_1' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('a period-end cancellation ends the subscription when the period ends', async () => {
    const w = await ready(percentage(10));
    await subscribeEmbedded(w);
    await w.market.cancelSubscription({ subscriptionId: 'sub_local_1', atPeriodEnd: true });
    await flush(w);
    const record = await w.market.getSubscription('sub_local_1');
    w.sandbox.advanceTime((record?.currentPeriodEnd as number) * 1000 - w.sandbox.nowMs() + 1000);
    await flush(w);
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'canceled' });
    expect(await w.market.listInvoices('sub_local_1')).toHaveLength(1);
  });

  it('a trial: the first invoice costs nothing and carries a zero fee; the subscription is trialing', async () => {
    const w = await ready(fixedFee({ gbp: 150 }));
    const created = await w.market.createSubscription({
      subscriptionId: 'sub_trial',
      vendorId: 'coach_7',
      customer: { email: 'rider@example.com' },
      price: PRICE,
      trialDays: 14,
    });
    await flush(w);
    expect(created.status).toBe('trialing');
    const [invoice] = await w.market.listInvoices('sub_trial');
    expect(invoice).toMatchObject({ amount: 0, applicationFeeAmount: 0, vendorAmount: 0, status: 'paid' });
  });

  it('handlers receive the subscription and invoice records', async () => {
    const w = await ready(percentage(12));
    const seen: string[] = [];
    w.market.on('invoice.paid', (_event, ctx) => {
      seen.push(`${ctx.subscription?.subscriptionId} ${ctx.invoice?.applicationFeeAmount} ${ctx.vendor?.vendorId}`);
    });
    await subscribeEmbedded(w);
    expect(seen).toEqual(['sub_local_1 108 coach_7']);
  });
});

describe('createSubscription input', () => {
  const base = { subscriptionId: 's_1', vendorId: 'coach_7', customer: { email: 'a@example.com' }, price: PRICE };

  it('refuses bad input before Stripe is called', async () => {
    const w = await ready(percentage(12));
    const before = w.sandbox.events().length;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, vendorId: 'nobody' }, 'VENDOR_NOT_FOUND'],
      [{ ...base, price: { ...PRICE, interval: 'fortnight' } }, 'INVALID_INPUT'],
      [{ ...base, price: { ...PRICE, currency: 'xyz' } }, 'UNSUPPORTED_CURRENCY'],
      [{ ...base, price: { ...PRICE, amount: 10 } }, 'AMOUNT_TOO_SMALL'],
      [{ ...base, price: { ...PRICE, amount: 9.5 } }, 'INVALID_INPUT'],
      // https://docs.stripe.com/api/subscriptions/create#create_subscription-trial_period_days: trials end at most
      // two years (730 days) after the start.
      [{ ...base, trialDays: 0 }, 'INVALID_INPUT'],
      [{ ...base, trialDays: 731 }, 'INVALID_INPUT'],
      [{ ...base, trialDays: 1.5 }, 'INVALID_INPUT'],
      [{ ...base, customer: 'acct_123' }, 'INVALID_INPUT'],
      [{ ...base, customer: { email: 'not-an-email' } }, 'INVALID_INPUT'],
      [{ ...base, price: 'prod_123' }, 'INVALID_INPUT'],
      [{ ...base, mode: 'hosted' }, 'INVALID_INPUT'],
      [{ ...base, metadata: { subscription_id: 'x' } }, 'INVALID_INPUT'],
    ];
    for (const [input, code] of cases) {
      await expect(w.market.createSubscription(input as never), JSON.stringify(input)).rejects.toMatchObject({ code });
    }
    expect(w.sandbox.events().length).toBe(before);
    expect(await w.market.listSubscriptions()).toEqual([]);
  });

  it('refuses a vendor who cannot receive transfers', async () => {
    const w = world({ commission: percentage(12) });
    await w.market.onboardVendor({ vendorId: 'late', country: 'GB', ...urls });
    await expect(w.market.createSubscription({ ...base, vendorId: 'late' })).rejects.toMatchObject({
      code: 'VENDOR_NOT_READY',
    });
  });

  it('refuses a fee policy with no fee for the currency before Stripe is called', async () => {
    const w = await ready(fixedFee({ usd: 30 }));
    await expect(w.market.createSubscription(base)).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
    expect(await w.market.getSubscription('s_1')).toBeNull();
  });

  it('takes an existing recurring price, refuses a one-time one', async () => {
    const w = await ready(percentage(12));
    const product = await w.stripe.products.create({ name: 'Coaching' });
    const oneTime = await w.stripe.prices.create({ currency: 'gbp', unit_amount: 900, product: product.id });
    await expect(w.market.createSubscription({ ...base, price: oneTime.id })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const weekly = await w.stripe.prices.create({
      currency: 'gbp',
      unit_amount: 400,
      product: product.id,
      recurring: { interval: 'week' },
    });
    const created = await w.market.createSubscription({ ...base, price: weekly.id });
    expect(created).toMatchObject({ priceId: weekly.id, amount: 400, interval: 'week', applicationFeeAmount: 48 });
  });

  it('one subscription id is one subscription: a repeat returns it, other terms conflict', async () => {
    const w = await ready(percentage(12));
    const first = await w.market.createSubscription(base);
    const again = await w.market.createSubscription(base);
    if (first.mode !== 'embedded' || again.mode !== 'embedded') throw new Error('expected embedded');
    expect(again.stripeSubscriptionId).toBe(first.stripeSubscriptionId);
    expect(again.clientSecret).toBe(first.clientSecret);
    const subs = await w.stripe.subscriptions.list({ status: 'all' });
    expect(subs.data).toHaveLength(1);
    await expect(w.market.createSubscription({ ...base, price: { ...PRICE, amount: 1000 } })).rejects.toMatchObject({
      code: 'SUBSCRIPTION_CONFLICT',
    });
    expect(await w.market.listSubscriptions({ vendorId: 'coach_7' })).toHaveLength(1);
    expect(await w.market.listSubscriptions({ vendorId: 'someone_else' })).toEqual([]);
  });

  it('a subscription Stripe made but storage did not record is found again, never made twice', async () => {
    const storage = memoryStorage();
    const w = await ready(percentage(12), {}, { storage });
    const first = await w.market.createSubscription(base);
    if (first.mode !== 'embedded') throw new Error('expected embedded');
    // As if storage had failed after Stripe answered (and the idempotency key had expired since).
    await mutateRecord(storage, SUBSCRIPTION, 's_1', (s) => ({ ...s, stripeSubscriptionId: null }));
    // https://docs.stripe.com/api/idempotent_requests: keys can be removed after 24 hours.
    w.sandbox.advanceTime(25 * HOUR);
    const again = await w.market.createSubscription(base);
    if (again.mode !== 'embedded') throw new Error('expected embedded');
    expect(again.stripeSubscriptionId).toBe(first.stripeSubscriptionId);
    expect((await w.stripe.subscriptions.list({ status: 'all' })).data).toHaveLength(1);
    expect((await w.market.getSubscription('s_1'))?.stripeSubscriptionId).toBe(first.stripeSubscriptionId);
  });

  it('lifecycle methods refuse an unknown subscription', async () => {
    const w = await ready(percentage(12));
    await expect(w.market.cancelSubscription({ subscriptionId: 'nope' })).rejects.toMatchObject({
      code: 'SUBSCRIPTION_NOT_FOUND',
    });
    await expect(w.market.pauseSubscription({ subscriptionId: 'nope', resumesAt: 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('on PostgreSQL (PGlite) with webhookTransactions', () => {
  const pglite = pgliteFactory();
  afterAll(() => pglite.close());

  it('the fee Stripe calls run before the transaction; records commit with the event', async () => {
    const storage = await pglite.create();
    const w = await ready(fixedFee({ gbp: 150 }), {}, { storage, webhookTransactions: true });
    const created = await subscribeEmbedded(w);
    await renew(w, 'sub_local_1');
    await w.stripe.subscriptions.update(created.stripeSubscriptionId, { default_payment_method: 'pm_card_chargeDeclined' });
    await flush(w);
    await renew(w, 'sub_local_1');
    const invoices = (await w.market.listInvoices('sub_local_1')).sort((a, b) => (a.periodStart ?? 0) - (b.periodStart ?? 0));
    expect(invoices.map((i) => [i.status, i.applicationFeeAmount, i.vendorAmount, i.paymentFailures])).toEqual([
      ['paid', 150, 750, 0],
      ['paid', 150, 750, 0],
      ['open', 150, 750, 1],
    ]);
    expect(await w.market.getSubscription('sub_local_1')).toMatchObject({ status: 'past_due' });
    expect(await vendorNet(w)).toBe(2 * 750);
    await pglite.cleanup(storage);
  });
});
