import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { readyAccount, setup } from './helpers.js';

const HOUR = 3600 * 1000;

// https://docs.stripe.com/billing/subscriptions/overview#payment-status: a first payment that fails leaves the
// subscription `incomplete`; if the first invoice is not paid within 23 hours, it becomes `incomplete_expired`.
describe('a first payment that fails', () => {
  it('leaves the subscription incomplete, then incomplete_expired with its invoice voided after 23 hours', async () => {
    const { sandbox, stripe } = setup({ now: () => Date.UTC(2026, 4, 1) });
    const vendor = await readyAccount(sandbox, stripe);
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_chargeDeclined' } });
    const product = await stripe.products.create({ name: 'Pass' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 1000, recurring: { interval: 'month' } } }],
      transfer_data: { destination: vendor },
      expand: ['latest_invoice'],
    });
    expect(sub.status).toBe('incomplete');
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1 });
    expect(sandbox.events().some((e) => e.type === 'invoice.payment_failed')).toBe(true);
    sandbox.advanceTime(22 * HOUR);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete');
    sandbox.advanceTime(HOUR);
    expect((await stripe.subscriptions.retrieve(sub.id)).status).toBe('incomplete_expired');
    expect((await stripe.invoices.retrieve(invoice.id)).status).toBe('void');
  });
});
