import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import { createSandbox, type WebhookDeliveryOptions } from '../../src/testing/index.js';
import { completeHostedOnboarding, world as sharedWorld } from '../world.js';

const world = (webhooks: WebhookDeliveryOptions = {}) => sharedWorld({}, webhooks);

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function onboarded(w: ReturnType<typeof world>, vendorId = 'driver_42') {
  const { url, accountId } = await w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  return accountId;
}

describe('full flows through the Marketplace against the sandbox', () => {
  it('onboard -> complete -> checkout -> confirm -> signed webhook -> order succeeded -> partial refund -> partially_refunded', async () => {
    const w = world();
    const accountId = await onboarded(w);
    // The account.updated Connect event alone moves the vendor to active (no completeOnboarding call needed).
    const connectResult = await w.sandbox.flushWebhooks();
    expect(connectResult.attempts.map((a) => a.status)).toEqual([200, 200]);
    expect((await w.market.getVendor('driver_42'))?.status).toBe('active');
    expect((await w.market.completeOnboarding({ vendorId: 'driver_42' })).status).toBe('active');

    const checkout = await w.market.createCheckout({
      orderId: 'order_1001',
      vendorId: 'driver_42',
      amount: 2000,
      currency: 'gbp',
    });
    expect(checkout).toMatchObject({ applicationFeeAmount: 240, vendorAmount: 1760, accountId });
    await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    expect((await w.market.getOrder('order_1001'))?.status).toBe('pending');

    const paid = await w.sandbox.flushWebhooks();
    expect(paid.failed).toEqual([]);
    expect(paid.attempts.every((a) => a.status === 200)).toBe(true);
    const order = await w.market.getOrder('order_1001');
    expect(order).toMatchObject({ status: 'succeeded', amount: 2000, applicationFeeAmount: 240, vendorAmount: 1760 });

    const charge =
      order?.chargeId ?? ((await w.stripe.paymentIntents.retrieve(checkout.paymentIntentId)).latest_charge as string);
    await w.stripe.refunds.create({ charge, amount: 500, reverse_transfer: true, refund_application_fee: true });
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('order_1001')).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
    expect(w.sandbox.balances()).toEqual([
      { account: 'platform', currency: 'gbp', available: 240 - 60 },
      { account: accountId, currency: 'gbp', available: 1760 - 500 + 60 },
    ]);

    await w.stripe.refunds.create({ charge, reverse_transfer: true, refund_application_fee: true });
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('order_1001')).toMatchObject({ status: 'refunded', amountRefunded: 2000 });
    expect(w.sandbox.balances().map((b) => b.available)).toEqual([0, 0]);
  });

  it('duplicate and out-of-order deliveries are processed once and leave the newest state', async () => {
    const w = world({ duplicate: true, outOfOrder: true });
    await onboarded(w);
    await w.sandbox.flushWebhooks();
    const checkout = await w.market.createCheckout({ orderId: 'order_2', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    await w.stripe.refunds.create({
      payment_intent: checkout.paymentIntentId,
      amount: 700,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    const seen: string[] = [];
    w.market.on('payment_intent.succeeded', (event) => {
      seen.push(event.id);
    });
    const result = await w.sandbox.flushWebhooks();
    expect(result.attempts.filter((a) => a.duplicate).length).toBeGreaterThan(0);
    expect(result.failed).toEqual([]);
    // Delivered newest first: the refund arrives before the payment; the order still ends partially refunded.
    const order = result.attempts.map((a) => a.eventType);
    expect(order[0]).toBe('application_fee.refunded');
    expect(order.indexOf('charge.refunded')).toBeLessThan(order.indexOf('payment_intent.succeeded'));
    expect(seen).toHaveLength(1);
    expect(await w.market.getOrder('order_2')).toMatchObject({ status: 'partially_refunded', amountRefunded: 700 });
  });

  it('a failing handler gets the event again (500 -> retry) until it succeeds', async () => {
    const w = world();
    await onboarded(w);
    await w.sandbox.flushWebhooks();
    let failures = 1;
    w.market.on('payment_intent.succeeded', () => {
      if (failures-- > 0) throw new Error('the fulfilment service is down');
    });
    const checkout = await w.market.createCheckout({ orderId: 'order_3', vendorId: 'driver_42', amount: 1500, currency: 'gbp' });
    await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    const result = await w.sandbox.flushWebhooks();
    const succeeded = result.attempts.filter((a) => a.eventType === 'payment_intent.succeeded');
    expect(succeeded.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect((await w.market.getOrder('order_3'))?.status).toBe('succeeded');
  });

  it('a declined card records the failure on the order; a retry with a good card succeeds', async () => {
    const w = world();
    await onboarded(w);
    const checkout = await w.market.createCheckout({ orderId: 'order_4', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    const declined = await w.stripe.paymentIntents
      .confirm(checkout.paymentIntentId, {
        payment_method: 'pm_card_insufficientFunds',
        return_url: 'https://market.example/paid',
      })
      .catch((e: Stripe.errors.StripeError) => e);
    expect((declined as Stripe.errors.StripeError).decline_code).toBe('insufficient_funds');
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('order_4')).toMatchObject({
      status: 'failed',
      lastPaymentError: { declineCode: 'insufficient_funds' },
    });
    await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    await w.sandbox.flushWebhooks();
    expect((await w.market.getOrder('order_4'))?.status).toBe('succeeded');
  });

  it('hosted checkout: paying on the sandbox page completes the order through checkout.session.completed', async () => {
    const w = world();
    await onboarded(w);
    const hosted = await w.market.createCheckout({
      mode: 'hosted',
      orderId: 'order_5',
      vendorId: 'driver_42',
      currency: 'gbp',
      lineItems: [{ name: 'Ride to the airport', unitAmount: 2000, quantity: 1 }],
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    await w.sandbox.fetch(
      new Request(hosted.url as string, {
        method: 'POST',
        body: 'card_number=4242424242424242',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    await w.sandbox.flushWebhooks();
    const order = await w.market.getOrder('order_5');
    expect(order).toMatchObject({ status: 'succeeded', mode: 'hosted', applicationFeeAmount: 240 });
    expect(order?.paymentIntentId).toMatch(/^pi_/);
  });

  it('a delivery signed for the other endpoint is rejected with 400 and retried', async () => {
    const sandbox = createSandbox({ webhooks: { autoDeliver: false, retrySchedule: [1] } });
    const stripe = sandbox.stripe();
    const market = new Marketplace({
      stripe,
      storage: memoryStorage(),
      commission: percentage(12),
      webhookSecrets: { platform: 'whsec_expected' },
      livemode: false,
    });
    sandbox.addWebhookEndpoint({
      handler: (body, signature) => market.handleWebhook({ body, signature }),
      secret: 'whsec_wrong',
    });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'gbp' });
    const result = await sandbox.flushWebhooks();
    expect(result.attempts.map((a) => a.status)).toEqual([400, 400]);
    expect(result.failed).toHaveLength(1);
  });
});
