import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

// https://docs.stripe.com/payments/checkout/build-subscriptions and https://docs.stripe.com/connect/subscriptions:
// Checkout in subscription mode with subscription_data's application_fee_percent and transfer_data.
describe('Checkout in subscription mode', () => {
  async function session(email = 'rider@example.com') {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const created = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer_email: email,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: 'gbp',
            unit_amount: 1200,
            product_data: { name: 'Monthly pass' },
            recurring: { interval: 'month' },
          },
        },
      ],
      subscription_data: { application_fee_percent: 15, transfer_data: { destination: vendor } },
      success_url: 'https://shop.example/done?session={CHECKOUT_SESSION_ID}',
    });
    return { sandbox, stripe, vendor, created };
  }

  it('creates the customer and the subscription when paid, and splits the first invoice', async () => {
    const { sandbox, stripe, vendor, created } = await session();
    expect(created).toMatchObject({ mode: 'subscription', status: 'open', amount_total: 1200, subscription: null });
    const paid = await sandbox.payCheckoutSession(created.id);
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const sub = await stripe.subscriptions.retrieve(paid.subscription as string);
    expect(sub).toMatchObject({ status: 'active', application_fee_percent: 15, customer: paid.customer });
    expect((await stripe.customers.retrieve(paid.customer as string)) as Stripe.Customer).toMatchObject({
      email: 'rider@example.com',
    });
    expect(balanceOf(sandbox, 'platform')).toBe(180);
    expect(balanceOf(sandbox, vendor)).toBe(1020);
    expect(sandbox.events().some((e) => e.type === 'checkout.session.completed')).toBe(true);
  });

  it('keeps the session open on a declined card, and serves the hosted page', async () => {
    const { sandbox, stripe, created } = await session();
    const declined = await sandbox.payCheckoutSession(created.id, 'pm_card_chargeDeclined').then(
      () => null,
      (e: Error) => e,
    );
    expect(declined?.message).toBe('Your card was declined.');
    expect((await stripe.checkout.sessions.retrieve(created.id)).status).toBe('open');
    expect((await stripe.subscriptions.list()).data).toHaveLength(0);
    const page = await sandbox.fetch(new Request(created.url as string));
    expect(await page.text()).toContain('Monthly pass');
    const form = new URLSearchParams({ card_number: '4242 4242 4242 4242' });
    const done = await sandbox.fetch(new Request(created.url as string, { method: 'POST', body: form }));
    expect(done.status).toBe(303);
    expect((await stripe.subscriptions.list()).data).toHaveLength(1);
  });

  it('refuses a one-time price in subscription mode', async () => {
    const { stripe } = setup();
    const error = await stripeError(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ quantity: 1, price_data: { currency: 'gbp', unit_amount: 500, product_data: { name: 'Once' } } }],
      }),
    );
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', param: 'line_items[0][price_data][recurring]' });
  });
});
