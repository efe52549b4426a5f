import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { readyAccount, setup } from './helpers.js';

// https://docs.stripe.com/api/subscriptions/create#create_subscription-payment_settings-save_default_payment_method:
// "Configure whether Stripe updates subscription.default_payment_method when payment succeeds. Defaults to off."
describe('payment_settings.save_default_payment_method', () => {
  async function incomplete(save?: 'on_subscription' | 'off') {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const customer = await stripe.customers.create({ email: 'rider@example.com' });
    const product = await stripe.products.create({ name: 'Pass' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 1000, recurring: { interval: 'month' } } }],
      transfer_data: { destination: vendor },
      payment_behavior: 'default_incomplete',
      ...(save ? { payment_settings: { save_default_payment_method: save } } : {}),
      expand: ['latest_invoice'],
    });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    const intent = invoice.payments?.data[0]?.payment.payment_intent as string;
    await stripe.paymentIntents.confirm(intent, { payment_method: 'pm_card_visa', return_url: 'https://x.example/r' });
    return { stripe, sub: await stripe.subscriptions.retrieve(sub.id) };
  }

  it('on_subscription: the payment method that paid the first invoice becomes the default, so renewals are charged', async () => {
    const { sub } = await incomplete('on_subscription');
    expect(sub.status).toBe('active');
    expect(sub.default_payment_method).toBe('pm_card_visa');
    expect(sub.payment_settings?.save_default_payment_method).toBe('on_subscription');
  });

  it('off (the default): the subscription keeps no payment method of its own', async () => {
    const { sub } = await incomplete();
    expect(sub.status).toBe('active');
    expect(sub.default_payment_method).toBeNull();
    expect(sub.payment_settings?.save_default_payment_method).toBe('off');
  });

  it('refuses a value Stripe does not know', async () => {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const customer = await stripe.customers.create({ email: 'rider@example.com' });
    const product = await stripe.products.create({ name: 'Pass' });
    const request = stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 1000, recurring: { interval: 'month' } } }],
      transfer_data: { destination: vendor },
      payment_behavior: 'default_incomplete',
      payment_settings: { save_default_payment_method: 'always' as 'off' },
    });
    await expect(request).rejects.toMatchObject({ param: 'payment_settings[save_default_payment_method]', statusCode: 400 });
  });
});
