import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
/** 2026-01-31 12:00 UTC: the next monthly period ends on the last day of February. */
const START = Date.UTC(2026, 0, 31, 12);

async function subscribed(options: { pm?: string; fee?: number } = {}) {
  const { sandbox, stripe } = setup({ now: () => START });
  const vendor = await readyAccount(sandbox, stripe);
  const customer = await stripe.customers.create({
    email: 'rider@example.com',
    invoice_settings: { default_payment_method: 'pm_card_visa' },
  });
  const product = await stripe.products.create({ name: 'Monthly pass' });
  const sub = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 2000, recurring: { interval: 'month' } } }],
    transfer_data: { destination: vendor },
    ...(options.fee !== undefined ? { application_fee_percent: options.fee } : {}),
  });
  if (options.pm) await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: options.pm } });
  return { sandbox, stripe, vendor, customer, sub };
}

function eventsOf(sandbox: { events(): Stripe.Event[] }, from: number, type: string): Stripe.Event[] {
  return sandbox
    .events()
    .slice(from)
    .filter((e) => e.type === type);
}

const PERIOD_END = Date.UTC(2026, 1, 28, 12);

describe('renewals', () => {
  // https://docs.stripe.com/billing/subscriptions/billing-cycle: a monthly anchor on the 31st bills on the month's last day.
  it('ends a monthly period on the last day of a shorter month', async () => {
    const { sub } = await subscribed({ fee: 10 });
    expect(sub.items.data[0]?.current_period_end).toBe(PERIOD_END / 1000);
  });

  // https://docs.stripe.com/billing/subscriptions/webhooks: a renewal invoice is created as a draft (invoice.created)
  // and finalized about an hour later, so a Connect platform can set the fee on the draft
  // (https://docs.stripe.com/connect/subscriptions, https://docs.stripe.com/api/invoices/update).
  it('creates each renewal as a draft whose fee the platform sets before it finalizes and is paid', async () => {
    const { sandbox, stripe, vendor, sub } = await subscribed();
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + 1000);
    const [created] = eventsOf(sandbox, from, 'invoice.created');
    const draft = created?.data.object as Stripe.Invoice;
    expect(draft).toMatchObject({ status: 'draft', billing_reason: 'subscription_cycle', amount_due: 2000 });
    expect(draft.automatically_finalizes_at).toBe(PERIOD_END / 1000 + 3600);
    expect(eventsOf(sandbox, from, 'invoice.finalized')).toHaveLength(0);
    const renewed = await stripe.subscriptions.retrieve(sub.id);
    expect(renewed.latest_invoice).toBe(draft.id);
    expect(renewed.items.data[0]?.current_period_start).toBe(PERIOD_END / 1000);

    await stripe.invoices.update(draft.id, { application_fee_amount: 333 });
    sandbox.advanceTime(HOUR);
    expect(eventsOf(sandbox, from, 'invoice.finalized')).toHaveLength(1);
    expect(eventsOf(sandbox, from, 'invoice.paid')).toHaveLength(1);
    const paid = await stripe.invoices.retrieve(draft.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 2000 });
    // First invoice: no fee, all 2000 to the vendor. Renewal: 333 to the platform, 1667 to the vendor.
    expect(balanceOf(sandbox, 'platform')).toBe(333);
    expect(balanceOf(sandbox, vendor)).toBe(2000 + 1667);

    const late = await stripeError(stripe.invoices.update(draft.id, { application_fee_amount: 1 }));
    expect(late).toMatchObject({ type: 'StripeInvalidRequestError', param: 'application_fee_amount', statusCode: 400 });
  });

  // https://docs.stripe.com/api/invoices/update#update_invoice-transfer_data-amount
  it('takes transfer_data[amount] set on the draft as the vendor share', async () => {
    const { sandbox, stripe, vendor } = await subscribed();
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + 1000);
    const draft = eventsOf(sandbox, from, 'invoice.created')[0]?.data.object as Stripe.Invoice;
    await stripe.invoices.update(draft.id, { transfer_data: { destination: vendor, amount: 1500 } });
    sandbox.advanceTime(HOUR);
    expect(balanceOf(sandbox, vendor)).toBe(2000 + 1500);
    expect(balanceOf(sandbox, 'platform')).toBe(500);
  });

  it('renews each period in order when time jumps over several', async () => {
    const { sandbox, stripe, sub } = await subscribed({ fee: 10 });
    const from = sandbox.events().length;
    sandbox.advanceTime(70 * DAY);
    const paid = eventsOf(sandbox, from, 'invoice.paid').map((e) => (e.data.object as Stripe.Invoice).period_start);
    expect(paid).toEqual([PERIOD_END / 1000, Date.UTC(2026, 2, 31, 12) / 1000]);
    expect(balanceOf(sandbox, 'platform')).toBe(3 * 200);
    expect((await stripe.invoices.list({ customer: sub.customer as string })).data).toHaveLength(3);
  });

  // https://docs.stripe.com/billing/subscriptions/overview#failed-payments: a failed renewal makes the subscription past_due.
  it('a declined renewal emits invoice.payment_failed and makes the subscription past_due', async () => {
    const { sandbox, stripe, sub } = await subscribed({ fee: 10, pm: 'pm_card_chargeDeclined' });
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + HOUR + 1000);
    const failed = eventsOf(sandbox, from, 'invoice.payment_failed');
    expect(failed).toHaveLength(1);
    const failedInvoice = (failed[0] as Stripe.Event).data.object as Stripe.Invoice;
    expect(failedInvoice.attempt_count).toBe(1);
    const updated = eventsOf(sandbox, from, 'customer.subscription.updated').map(
      (e) => (e.data.object as Stripe.Subscription).status,
    );
    expect(updated).toContain('past_due');
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('past_due');
    // Paying the open invoice with a working card makes it active again.
    await stripe.invoices.pay(failedInvoice.id, { payment_method: 'pm_card_visa' });
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });
});

describe('cancel, pause and resume', () => {
  // https://docs.stripe.com/api/subscriptions/cancel
  it('cancels now with customer.subscription.deleted', async () => {
    const { sandbox, stripe, sub } = await subscribed();
    const from = sandbox.events().length;
    const canceled = await stripe.subscriptions.cancel(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', canceled_at: START / 1000, ended_at: START / 1000 });
    expect(eventsOf(sandbox, from, 'customer.subscription.deleted')).toHaveLength(1);
    sandbox.advanceTime(60 * DAY);
    expect(eventsOf(sandbox, from, 'invoice.created')).toHaveLength(0);
    expect((await stripe.subscriptions.list({ customer: sub.customer as string })).data).toHaveLength(0);
    expect((await stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([sub.id]);
  });

  // https://docs.stripe.com/billing/subscriptions/cancel#cancel-at-end-of-cycle
  it('cancels at period end without another invoice', async () => {
    const { sandbox, stripe, sub } = await subscribed();
    const updated = await stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(updated.cancel_at).toBe(PERIOD_END / 1000);
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + 1000);
    expect(eventsOf(sandbox, from, 'invoice.created')).toHaveLength(0);
    expect(eventsOf(sandbox, from, 'customer.subscription.deleted')).toHaveLength(1);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('canceled');
  });

  // https://docs.stripe.com/billing/subscriptions/pause-payment: with behavior=void, invoices are voided while paused;
  // unsetting pause_collection resumes collection.
  it('pauses collection (renewal invoices voided) and resumes', async () => {
    const { sandbox, stripe, vendor, sub } = await subscribed({ fee: 10 });
    const paused = await stripe.subscriptions.update(sub.id, { pause_collection: { behavior: 'void' } });
    expect(paused.pause_collection).toEqual({ behavior: 'void', resumes_at: null });
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + HOUR + 1000);
    expect(eventsOf(sandbox, from, 'invoice.voided')).toHaveLength(1);
    expect(eventsOf(sandbox, from, 'invoice.paid')).toHaveLength(0);
    const resumed = await stripe.subscriptions.update(sub.id, { pause_collection: '' });
    expect(resumed.pause_collection).toBeNull();
    sandbox.advanceTime(31 * DAY);
    expect(eventsOf(sandbox, from, 'invoice.paid')).toHaveLength(1);
    expect(balanceOf(sandbox, vendor)).toBe(2 * 1800);
  });
});
