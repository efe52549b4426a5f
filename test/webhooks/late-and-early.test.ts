import nock from 'nock';
import { describe, expect, it } from 'vitest';
import type { OrderRecord } from '../../src/index.js';
import { API, expectStripe } from '../helpers.js';
import { makeMarket, paymentIntent, seed, sign, stripeEvent } from './helpers.js';

type Market = ReturnType<typeof makeMarket>['market'];

async function deliver(market: Market, type: string, object: Record<string, unknown>) {
  const result = await market.handleWebhook(sign(stripeEvent(type, object)));
  expect(result.status, type).toBe(200);
  return result;
}

const failed = paymentIntent({
  status: 'requires_payment_method',
  latest_charge: null,
  last_payment_error: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
});
const processing = paymentIntent({ status: 'processing', latest_charge: null });

async function orderWith(status: OrderRecord['status']) {
  const setup = makeMarket();
  await seed(setup.storage, { status });
  return setup;
}

describe('processing and failed, which can follow each other both ways', () => {
  it('ignores a late card failure while a bank debit is processing (Stripe says processing)', async () => {
    const { market } = await orderWith('processing');
    const retrieve = expectStripe('GET', '/v1/payment_intents/pi_order_1001', processing);
    await deliver(market, 'payment_intent.payment_failed', failed);
    expect(retrieve.calls).toHaveLength(1);
    expect(await market.getOrder('order_1001')).toMatchObject({ status: 'processing', lastPaymentError: null });
  });

  it('records a real failure of a processing payment (Stripe says requires_payment_method)', async () => {
    const { market } = await orderWith('processing');
    expectStripe('GET', '/v1/payment_intents/pi_order_1001', failed);
    await deliver(market, 'payment_intent.payment_failed', failed);
    expect(await market.getOrder('order_1001')).toMatchObject({
      status: 'failed',
      lastPaymentError: { declineCode: 'insufficient_funds' },
    });
  });

  it('ignores a late processing event after the payment failed', async () => {
    const { market } = await orderWith('failed');
    expectStripe('GET', '/v1/payment_intents/pi_order_1001', failed);
    await deliver(market, 'payment_intent.processing', processing);
    expect((await market.getOrder('order_1001'))?.status).toBe('failed');
  });

  it('moves a failed order to processing when the customer retried with a bank debit', async () => {
    const { market } = await orderWith('failed');
    expectStripe('GET', '/v1/payment_intents/pi_order_1001', processing);
    await deliver(market, 'payment_intent.processing', processing);
    expect((await market.getOrder('order_1001'))?.status).toBe('processing');
  });

  it('asks Stripe nothing when the event alone decides (pending -> failed)', async () => {
    const { market } = await orderWith('pending');
    await deliver(market, 'payment_intent.payment_failed', failed);
    expect((await market.getOrder('order_1001'))?.status).toBe('failed');
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe('a hosted order whose Checkout Session event has not been processed yet', () => {
  const hosted = { mode: 'hosted' as const, paymentIntentId: null, checkoutSessionId: 'cs_order_1001' };
  const session = { id: 'cs_order_1001', object: 'checkout.session', payment_intent: 'pi_order_1001', status: 'complete' };
  const refundedCharge = {
    id: 'ch_order_1001',
    object: 'charge',
    amount: 2000,
    amount_refunded: 2000,
    refunded: true,
    payment_intent: 'pi_order_1001',
    metadata: { order_id: 'order_1001', vendor_id: 'driver_42' },
  };

  it('records a refund that overtakes checkout.session.completed', async () => {
    const { market, storage } = makeMarket();
    await seed(storage, hosted);
    const retrieve = expectStripe('GET', '/v1/checkout/sessions/cs_order_1001', session);
    await deliver(market, 'charge.refunded', refundedCharge);
    expect(retrieve.calls).toHaveLength(1);
    expect(await market.getOrder('order_1001')).toMatchObject({
      paymentIntentId: 'pi_order_1001',
      status: 'refunded',
      amountRefunded: 2000,
    });
    // The late session event then changes nothing: refunded is final.
    await deliver(market, 'checkout.session.completed', { ...session, payment_status: 'paid' });
    expect((await market.getOrder('order_1001'))?.status).toBe('refunded');
  });

  it('records a dispute that overtakes it, reading the PaymentIntent for its metadata', async () => {
    const { market, storage } = makeMarket();
    await seed(storage, { ...hosted, status: 'succeeded' });
    expectStripe('GET', '/v1/payment_intents/pi_order_1001', paymentIntent());
    expectStripe('GET', '/v1/checkout/sessions/cs_order_1001', session);
    await deliver(market, 'charge.dispute.created', {
      id: 'dp_1',
      object: 'dispute',
      amount: 2000,
      status: 'needs_response',
      charge: 'ch_order_1001',
      payment_intent: 'pi_order_1001',
    });
    expect((await market.getOrder('order_1001'))?.dispute).toEqual({ id: 'dp_1', status: 'needs_response', amount: 2000 });
  });

  it("does not trust metadata alone: a charge whose PaymentIntent is not the session's changes nothing", async () => {
    const { market, storage } = makeMarket();
    await seed(storage, hosted);
    expectStripe('GET', '/v1/checkout/sessions/cs_order_1001', { ...session, payment_intent: 'pi_other' });
    await deliver(market, 'charge.refunded', { ...refundedCharge, payment_intent: 'pi_forged' });
    expect(await market.getOrder('order_1001')).toMatchObject({ paymentIntentId: null, status: 'pending', amountRefunded: 0 });
  });

  it('answers 500, so Stripe retries, when the session cannot be read', async () => {
    const { market, storage } = makeMarket();
    await seed(storage, hosted);
    nock(API)
      .get('/v1/checkout/sessions/cs_order_1001')
      .reply(500, { error: { type: 'api_error', message: 'down' } });
    const result = await market.handleWebhook(sign(stripeEvent('charge.refunded', refundedCharge)));
    expect(result).toMatchObject({ status: 500, outcome: 'failed' });
  });
});
