import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

async function session(options: Parameters<typeof setup>[0] = {}) {
  const { sandbox, stripe } = setup(options);
  const driver = await readyAccount(sandbox, stripe);
  const created = await stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [{ price_data: { currency: 'gbp', unit_amount: 1000, product_data: { name: 'Ride' } }, quantity: 2 }],
    success_url: 'https://market.example/ok?session={CHECKOUT_SESSION_ID}',
    cancel_url: 'https://market.example/cancel',
    client_reference_id: 'order_7',
    payment_intent_data: {
      application_fee_amount: 240,
      transfer_data: { destination: driver },
      metadata: { order_id: 'order_7' },
    },
  });
  return { sandbox, stripe, driver, created };
}

const pay = (url: string, card: string) =>
  new Request(url, {
    method: 'POST',
    body: `card_number=${encodeURIComponent(card)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

describe('Checkout Sessions', () => {
  it('creates an open session with a hosted URL served by the sandbox', async () => {
    const { sandbox, created } = await session();
    expect(created).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 2000,
      currency: 'gbp',
      payment_intent: null,
    });
    expect(created.url).toBe(`${sandbox.baseUrl}/checkout/${created.id}`);
    const page = await sandbox.fetch(new Request(created.url as string));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('20.00 GBP');
  });

  it('paying on the hosted page completes the session and redirects to success_url', async () => {
    const { sandbox, stripe, driver, created } = await session();
    const response = await sandbox.fetch(pay(created.url as string, '4242 4242 4242 4242'));
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`https://market.example/ok?session=${created.id}`);
    const paid = await stripe.checkout.sessions.retrieve(created.id, { expand: ['payment_intent'] });
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    const intent = paid.payment_intent as Stripe.PaymentIntent;
    expect(intent).toMatchObject({ status: 'succeeded', application_fee_amount: 240, metadata: { order_id: 'order_7' } });
    expect(balanceOf(sandbox, driver)).toBe(1760);
    const completed = (await stripe.events.list({ type: 'checkout.session.completed' }))
      .data[0] as Stripe.CheckoutSessionCompletedEvent;
    expect(completed.data.object.payment_status).toBe('paid');
    expect((await sandbox.fetch(new Request(created.url as string))).status).toBe(410);
  });

  it('a declined card shows the decline on the page and leaves the session open', async () => {
    const { sandbox, stripe, created } = await session();
    const response = await sandbox.fetch(pay(created.url as string, '4000000000009995'));
    expect(response.status).toBe(402);
    expect(await response.text()).toContain('Your card has insufficient funds.');
    expect((await stripe.checkout.sessions.retrieve(created.id)).status).toBe('open');
    expect((await sandbox.payCheckoutSession(created.id)).status).toBe('complete');
  });

  it('payCheckoutSession pays programmatically; the cancel link goes to cancel_url', async () => {
    const { sandbox, created } = await session();
    const cancel = await sandbox.fetch(new Request(`${created.url}/cancel`));
    expect(cancel.headers.get('location')).toBe('https://market.example/cancel');
    await expect(sandbox.payCheckoutSession(created.id, 'pm_card_chargeDeclined')).rejects.toMatchObject({ status: 402 });
    const done = await sandbox.payCheckoutSession(created.id, 'pm_card_visa');
    expect(done.payment_status).toBe('paid');
  });

  it('expire closes an open session and emits checkout.session.expired', async () => {
    const { stripe, created } = await session();
    expect((await stripe.checkout.sessions.expire(created.id)).status).toBe('expired');
    expect((await stripe.events.list({ type: 'checkout.session.expired' })).data).toHaveLength(1);
    expect((await stripeError(stripe.checkout.sessions.expire(created.id))).code).toBe('checkout_session_unexpected_state');
  });

  it('validates the split against the line items total', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const error = await stripeError(
      stripe.checkout.sessions.create({
        mode: 'payment',
        line_items: [{ price_data: { currency: 'gbp', unit_amount: 1000, product_data: { name: 'Ride' } }, quantity: 1 }],
        success_url: 'https://a.example/ok',
        payment_intent_data: { application_fee_amount: 1001, transfer_data: { destination: driver } },
      }),
    );
    expect(error).toMatchObject({ statusCode: 400, param: 'payment_intent_data[application_fee_amount]' });
  });
});
