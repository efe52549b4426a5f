import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

const HOUR = 3600 * 1000;
const START = Date.UTC(2026, 2, 1, 9);
const PERIOD_END = Date.UTC(2026, 3, 1, 9);

// https://docs.stripe.com/connect/subscriptions: a subscription made on the connected account (Stripe-Account) pays the
// platform through application_fee_percent, or application_fee_amount set on each draft invoice.
describe('a subscription on the vendor account', () => {
  it('takes the fee from the vendor payment, by percentage and by the amount set on the renewal draft', async () => {
    const { sandbox, stripe } = setup({ now: () => START });
    const vendor = await readyAccount(sandbox, stripe);
    const on = { stripeAccount: vendor };
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } }, on);
    const product = await stripe.products.create({ name: 'Lessons' }, on);
    const sub = await stripe.subscriptions.create(
      {
        customer: customer.id,
        items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 3000, recurring: { interval: 'month' } } }],
        application_fee_percent: 5,
      },
      on,
    );
    expect(sub.status).toBe('active');
    expect(balanceOf(sandbox, 'platform')).toBe(150);
    expect(balanceOf(sandbox, vendor)).toBe(2850);
    // The platform does not see the vendor's subscription.
    expect(await stripeError(stripe.subscriptions.retrieve(sub.id))).toMatchObject({ code: 'resource_missing' });

    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + 1000);
    const created = sandbox
      .events()
      .slice(from)
      .find((e) => e.type === 'invoice.created');
    expect(created?.account).toBe(vendor);
    const draft = created?.data.object as Stripe.Invoice;
    await stripe.invoices.update(draft.id, { application_fee_amount: 420 }, on);
    sandbox.advanceTime(HOUR);
    expect((await stripe.invoices.retrieve(draft.id, {}, on)).status).toBe('paid');
    expect(balanceOf(sandbox, 'platform')).toBe(150 + 420);
    expect(balanceOf(sandbox, vendor)).toBe(2850 + 2580);
  });

  // https://docs.stripe.com/api/payment_intents/create#create_payment_intent-transfer_data-amount: a payment takes
  // either application_fee_amount or transfer_data[amount], not both.
  it('refuses a transfer amount on a draft that already carries a fee', async () => {
    const { sandbox, stripe } = setup({ now: () => START });
    const vendor = await readyAccount(sandbox, stripe);
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const product = await stripe.products.create({ name: 'Lessons' });
    await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 3000, recurring: { interval: 'month' } } }],
      application_fee_percent: 5,
      transfer_data: { destination: vendor },
    });
    const from = sandbox.events().length;
    sandbox.advanceTime(PERIOD_END - START + 1000);
    const draft = sandbox
      .events()
      .slice(from)
      .find((e) => e.type === 'invoice.created')?.data.object as Stripe.Invoice;
    const both = await stripeError(stripe.invoices.update(draft.id, { transfer_data: { destination: vendor, amount: 2000 } }));
    expect(both).toMatchObject({ type: 'StripeInvalidRequestError', param: 'transfer_data[amount]', statusCode: 400 });
    // Clearing the fee first makes the transfer amount the split.
    await stripe.invoices.update(draft.id, { application_fee_amount: '' as unknown as number });
    await stripe.invoices.update(draft.id, { transfer_data: { destination: vendor, amount: 2000 } });
    sandbox.advanceTime(HOUR);
    expect(balanceOf(sandbox, vendor)).toBe(2850 + 2000);
    expect(balanceOf(sandbox, 'platform')).toBe(150 + 1000);
  });
});
