import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** Fixed clock: 2026-01-31 12:00 UTC, so monthly periods meet a short month. */
const START = Date.UTC(2026, 0, 31, 12);

async function world(pm: string | null = 'pm_card_visa') {
  const { sandbox, stripe } = setup({ now: () => START });
  const vendor = await readyAccount(sandbox, stripe);
  const customer = await stripe.customers.create({
    email: 'rider@example.com',
    ...(pm ? { invoice_settings: { default_payment_method: pm } } : {}),
  });
  const product = await stripe.products.create({ name: 'Weekly rides' });
  return { sandbox, stripe, vendor, customer, product };
}

function types(sandbox: { events(): Stripe.Event[] }, from = 0): string[] {
  return sandbox
    .events()
    .slice(from)
    .map((e) => e.type);
}

function invoiceOf(sub: Stripe.Subscription): Stripe.Invoice {
  return sub.latest_invoice as Stripe.Invoice;
}

describe('customers, products and prices', () => {
  // https://docs.stripe.com/api/customers/create, /api/customers/update, /api/customers/list
  it('creates, retrieves, updates and lists customers', async () => {
    const { stripe } = setup();
    const created = await stripe.customers.create({ email: 'a@example.com', name: 'Ada', metadata: { ref: '1' } });
    expect(created).toMatchObject({ object: 'customer', email: 'a@example.com', name: 'Ada', metadata: { ref: '1' } });
    expect(created.id).toMatch(/^cus_/);
    const updated = await stripe.customers.update(created.id, {
      invoice_settings: { default_payment_method: 'pm_card_visa' },
      metadata: { ref: '', tier: 'gold' },
    });
    expect(updated.invoice_settings.default_payment_method).toBe('pm_card_visa');
    expect(updated.metadata).toEqual({ tier: 'gold' });
    expect((await stripe.customers.retrieve(created.id)).id).toBe(created.id);
    await stripe.customers.create({ email: 'b@example.com' });
    const listed = await stripe.customers.list({ email: 'a@example.com' });
    expect(listed.data.map((c) => c.id)).toEqual([created.id]);
    const missing = await stripeError(stripe.customers.retrieve('cus_missing'));
    expect(missing).toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', statusCode: 404 });
  });

  // https://docs.stripe.com/api/prices/create: `product` or `product_data`; recurring[interval] is day|week|month|year.
  it('creates products and one-time or recurring prices', async () => {
    const { stripe } = setup();
    const product = await stripe.products.create({ name: 'Plan' });
    const monthly = await stripe.prices.create({
      currency: 'gbp',
      unit_amount: 999,
      product: product.id,
      recurring: { interval: 'month' },
    });
    expect(monthly).toMatchObject({ type: 'recurring', unit_amount: 999, recurring: { interval: 'month', interval_count: 1 } });
    const inline = await stripe.prices.create({ currency: 'gbp', unit_amount: 500, product_data: { name: 'Extra' } });
    expect(inline.type).toBe('one_time');
    expect((await stripe.products.retrieve(inline.product as string)).name).toBe('Extra');
    expect((await stripe.prices.list({ product: product.id })).data.map((p) => p.id)).toEqual([monthly.id]);
    const bad = await stripeError(
      stripe.prices.create({
        currency: 'gbp',
        unit_amount: 1,
        product: product.id,
        recurring: { interval: 'fortnight' as 'day' },
      }),
    );
    expect(bad).toMatchObject({ type: 'StripeInvalidRequestError', param: 'recurring[interval]', statusCode: 400 });
  });
});

describe('subscriptions with a platform fee', () => {
  // https://docs.stripe.com/connect/subscriptions: a destination subscription with application_fee_percent takes the fee
  // from each invoice's payment and transfers the rest to the connected account.
  it('charges the first invoice at once and splits it: fee to the platform, the rest to the vendor', async () => {
    const { sandbox, stripe, vendor, customer, product } = await world();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 1999, recurring: { interval: 'month' } } }],
      application_fee_percent: 12.5,
      transfer_data: { destination: vendor },
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('active');
    expect(sub.application_fee_percent).toBe(12.5);
    const invoice = invoiceOf(sub);
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 1999, billing_reason: 'subscription_create' });
    expect(invoice.parent?.subscription_details?.subscription).toBe(sub.id);
    // 12.5% of 1999 = 249.875, rounded half up to 250; the vendor keeps 1999 - 250.
    expect(balanceOf(sandbox, 'platform')).toBe(250);
    expect(balanceOf(sandbox, vendor)).toBe(1749);
    expect(types(sandbox)).toEqual(
      expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.paid', 'customer.subscription.created']),
    );
    const fees = await stripe.applicationFees.list();
    expect(fees.data.map((f) => f.amount)).toEqual([250]);
  });

  // https://docs.stripe.com/api/subscriptions/object#subscription_object-transfer_data-amount_percent
  it('transfers transfer_data[amount_percent] of each invoice', async () => {
    const { sandbox, stripe, vendor, customer, product } = await world();
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 1000, recurring: { interval: 'week' } } }],
      transfer_data: { destination: vendor, amount_percent: 90 },
    });
    expect(balanceOf(sandbox, vendor)).toBe(900);
    expect(balanceOf(sandbox, 'platform')).toBe(100);
  });

  // https://docs.stripe.com/billing/subscriptions/build-subscriptions: default_incomplete leaves the first invoice open
  // and returns its PaymentIntent's client secret (latest_invoice.confirmation_secret on current API versions).
  it('default_incomplete returns the confirmation secret; confirming the PaymentIntent activates the subscription', async () => {
    const { sandbox, stripe, vendor, customer, product } = await world(null);
    const price = await stripe.prices.create({
      currency: 'gbp',
      unit_amount: 1500,
      product: product.id,
      recurring: { interval: 'month' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      application_fee_percent: 10,
      transfer_data: { destination: vendor },
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice.confirmation_secret'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = invoiceOf(sub);
    expect(invoice.status).toBe('open');
    const secret = invoice.confirmation_secret?.client_secret as string;
    expect(secret).toMatch(/^pi_\w+_secret_/);
    const intentId = secret.split('_secret_')[0] as string;
    const before = sandbox.events().length;
    await stripe.paymentIntents.confirm(intentId, { payment_method: 'pm_card_visa', return_url: 'https://example.com' });
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.status).toBe('active');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
    expect(types(sandbox, before)).toEqual(
      expect.arrayContaining(['payment_intent.succeeded', 'invoice.paid', 'customer.subscription.updated']),
    );
    expect(balanceOf(sandbox, 'platform')).toBe(150);
    expect(balanceOf(sandbox, vendor)).toBe(1350);
  });

  // https://docs.stripe.com/billing/subscriptions/trials: a trial starts `trialing` with a zero invoice, paid at once.
  it('a trial starts trialing with a paid zero invoice and bills when the trial ends', async () => {
    const { sandbox, stripe, vendor, customer, product } = await world();
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 800, recurring: { interval: 'month' } } }],
      transfer_data: { destination: vendor },
      application_fee_percent: 25,
      trial_period_days: 7,
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('trialing');
    expect(sub.trial_end).toBe(START / 1000 + 7 * 86400);
    expect(invoiceOf(sub)).toMatchObject({ status: 'paid', amount_due: 0 });
    sandbox.advanceTime(7 * DAY + 2 * HOUR);
    const after = await stripe.subscriptions.retrieve(sub.id);
    expect(after.status).toBe('active');
    expect(after.items.data[0]?.current_period_start).toBe(sub.trial_end);
    expect(balanceOf(sandbox, 'platform')).toBe(200);
    expect(balanceOf(sandbox, vendor)).toBe(600);
  });

  // https://docs.stripe.com/api/subscriptions/create#create_subscription-application_fee_percent: the request must be
  // made on a connected account (or, for destination subscriptions, with transfer_data).
  it('refuses a fee percentage without a connected account, and bad percentages', async () => {
    const { stripe, customer, product } = await world();
    const items = [
      { price_data: { currency: 'gbp', product: product.id, unit_amount: 500, recurring: { interval: 'month' as const } } },
    ];
    const noDestination = await stripeError(
      stripe.subscriptions.create({ customer: customer.id, items, application_fee_percent: 10 }),
    );
    expect(noDestination).toMatchObject({ type: 'StripeInvalidRequestError', param: 'application_fee_percent', statusCode: 400 });
    const tooMuch = await stripeError(
      stripe.subscriptions.create({
        customer: customer.id,
        items,
        application_fee_percent: 100.5,
        transfer_data: { destination: 'acct_x' },
      }),
    );
    expect(tooMuch).toMatchObject({ param: 'application_fee_percent' });
    const oneTime = await stripe.prices.create({ currency: 'gbp', unit_amount: 500, product: product.id });
    const notRecurring = await stripeError(
      stripe.subscriptions.create({ customer: customer.id, items: [{ price: oneTime.id }] }),
    );
    expect(notRecurring).toMatchObject({ param: 'items[0][price]' });
    expect(notRecurring.message).toContain('type=recurring');
  });

  // https://docs.stripe.com/billing/subscriptions/overview#payment-status: without a payment method the default
  // payment_behavior cannot charge the first invoice.
  it('refuses allow_incomplete for a customer without a payment method', async () => {
    const { stripe, customer, product } = await world(null);
    const error = await stripeError(
      stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 500, recurring: { interval: 'month' } } }],
      }),
    );
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing' });
    expect(error.message).toContain('no attached payment source or default payment method');
  });
});
