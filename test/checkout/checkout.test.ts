import { seedVendor, storedOrder, storedVendor, resolved } from '../records.js';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { account, activeAccount, expectStripe, market, paymentIntent, vendorRecord } from '../helpers.js';
import { fixedFee, percentage } from '../../src/core/money/commission.js';
import type { CommissionPolicy } from '../../src/core/money/commission.js';
import { memoryStorage } from '../../src/storage/memory.js';

async function withVendor(commission: CommissionPolicy = percentage(12), overrides = {}) {
  const storage = memoryStorage();
  await seedVendor(storage, vendorRecord(overrides));
  return { ...market({ storage, commission }), storage };
}

describe('createCheckout (embedded)', () => {
  it('creates a destination charge: 2000 gbp at 12 % sends application_fee_amount=240 and no payment_method_types', async () => {
    const { market: m, storage } = await withVendor();
    const create = expectStripe('POST', '/v1/payment_intents', paymentIntent());

    const result = await m.createCheckout({
      orderId: 'order_1001',
      vendorId: 'driver_42',
      amount: 2000,
      currency: 'GBP',
      description: 'Airport ride',
      metadata: { ride: 'r_9' },
      customerEmail: 'rider@example.com',
    });

    expect(create.calls).toHaveLength(1);
    expect(create.calls[0]!.form).toEqual({
      amount: '2000',
      currency: 'gbp',
      application_fee_amount: '240',
      'transfer_data[destination]': 'acct_1',
      'automatic_payment_methods[enabled]': 'true',
      'metadata[ride]': 'r_9',
      'metadata[order_id]': 'order_1001',
      'metadata[vendor_id]': 'driver_42',
      description: 'Airport ride',
      receipt_email: 'rider@example.com',
    });
    expect(Object.keys(create.calls[0]!.form).some((k) => k.startsWith('payment_method_types'))).toBe(false);
    expect(create.calls[0]!.headers['idempotency-key']).toBe('checkout:order_1001');
    expect(result).toEqual({
      mode: 'embedded',
      orderId: 'order_1001',
      paymentIntentId: 'pi_1',
      clientSecret: 'pi_1_secret_abc',
      amount: 2000,
      currency: 'gbp',
      applicationFeeAmount: 240,
      vendorAmount: 1760,
      accountId: 'acct_1',
      status: 'pending',
    });
    expect(await storedOrder(storage, 'order_1001')).toMatchObject({
      amount: 2000,
      currency: 'gbp',
      applicationFeeAmount: 240,
      vendorAmount: 1760,
      status: 'pending',
      paymentIntentId: 'pi_1',
      mode: 'embedded',
      metadata: { ride: 'r_9' },
    });
    expect(await resolved(storage, 'pi_1')).toMatchObject({ orderId: 'order_1001' });
  });

  it('charges 10 % of 5000 jpy as 500', async () => {
    const { market: m } = await withVendor(percentage(10));
    const create = expectStripe('POST', '/v1/payment_intents', paymentIntent({ amount: 5000, currency: 'jpy' }));
    const result = await m.createCheckout({ orderId: 'o_jpy', vendorId: 'driver_42', amount: 5000, currency: 'jpy' });
    expect(create.calls[0]!.form.application_fee_amount).toBe('500');
    expect(result).toMatchObject({ applicationFeeAmount: 500, vendorAmount: 4500 });
  });

  it('sets on_behalf_of when asked', async () => {
    const { market: m } = await withVendor();
    const create = expectStripe('POST', '/v1/payment_intents', paymentIntent());
    await m.createCheckout({ orderId: 'o_obo', vendorId: 'driver_42', amount: 2000, currency: 'gbp', onBehalfOf: true });
    expect(create.calls[0]!.form.on_behalf_of).toBe('acct_1');
  });

  it('returns the same PaymentIntent for the same orderId, and Stripe sees one create', async () => {
    const { market: m } = await withVendor();
    const create = expectStripe('POST', '/v1/payment_intents', paymentIntent());
    const first = await m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    const retrieve = expectStripe('GET', '/v1/payment_intents/pi_1', paymentIntent());
    const second = await m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    expect(second).toEqual(first);
    expect(create.calls).toHaveLength(1);
    expect(retrieve.calls).toHaveLength(1);
  });

  it('keeps the fee snapshot when the policy changes between retries', async () => {
    let rate = 12;
    const { market: m } = await withVendor((ctx) => percentage(rate)(ctx));
    expectStripe('POST', '/v1/payment_intents', paymentIntent());
    await m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    rate = 20;
    expectStripe('GET', '/v1/payment_intents/pi_1', paymentIntent());
    const again = await m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    expect(again.applicationFeeAmount).toBe(240);
  });

  it('retries with the same key and the stored terms when the first create failed', async () => {
    const { market: m, storage } = await withVendor();
    expectStripe('POST', '/v1/payment_intents', { error: { type: 'api_error', message: 'Try again' } }, 500);
    await expect(
      m.createCheckout({ orderId: 'o_retry', vendorId: 'driver_42', amount: 2000, currency: 'gbp' }),
    ).rejects.toMatchObject({
      code: 'STRIPE_ERROR',
      statusCode: 500,
    });
    expect(await storedOrder(storage, 'o_retry')).toMatchObject({ status: 'pending', paymentIntentId: null });
    const retry = expectStripe('POST', '/v1/payment_intents', paymentIntent({ id: 'pi_retry' }));
    const result = await m.createCheckout({ orderId: 'o_retry', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    expect(retry.calls[0]!.headers['idempotency-key']).toBe('checkout:o_retry');
    expect(result.paymentIntentId).toBe('pi_retry');
  });

  it('gives ORDER_CONFLICT for the same orderId with another amount, currency or vendor, and sends nothing', async () => {
    const { market: m, storage } = await withVendor();
    await seedVendor(storage, vendorRecord({ vendorId: 'driver_7', accountId: 'acct_7' }));
    expectStripe('POST', '/v1/payment_intents', paymentIntent());
    await m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    for (const changed of [{ amount: 2100 }, { currency: 'eur' }, { vendorId: 'driver_7' }]) {
      await expect(
        m.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp', ...changed }),
      ).rejects.toMatchObject({ code: 'ORDER_CONFLICT' });
    }
  });

  it('creates one order and one PaymentIntent under 20 concurrent calls', async () => {
    const { market: m } = await withVendor();
    const create = expectStripe('POST', '/v1/payment_intents', paymentIntent());
    create.scope.persist();
    const retrieve = expectStripe('GET', '/v1/payment_intents/pi_1', paymentIntent());
    retrieve.scope.persist();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        m.createCheckout({ orderId: 'o_race', vendorId: 'driver_42', amount: 2000, currency: 'gbp' }),
      ),
    );
    expect(new Set(results.map((r) => r.paymentIntentId))).toEqual(new Set(['pi_1']));
    // Every create that reached Stripe carried the same key, so Stripe made one PaymentIntent.
    expect(new Set(create.calls.map((c) => c.headers['idempotency-key']))).toEqual(new Set(['checkout:o_race']));
    expect(new Set(create.calls.map((c) => JSON.stringify(c.form))).size).toBe(1);
    nock.cleanAll(); // the persisted interceptors may legitimately go unused
  });

  describe('refuses before Stripe is called', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['20.5 gbp', { amount: 20.5 }, 'INVALID_INPUT'],
      ['20 gbp (below the minimum)', { amount: 20 }, 'AMOUNT_TOO_SMALL'],
      ['ISK 1050', { amount: 1050, currency: 'isk' }, 'INVALID_INPUT'],
      ['an unknown currency', { currency: 'xyz' }, 'UNSUPPORTED_CURRENCY'],
      ['a negative amount', { amount: -2000 }, 'INVALID_INPUT'],
      ['a string amount', { amount: '2000' }, 'INVALID_INPUT'],
      ['an unknown key', { amonut: 2000 }, 'INVALID_INPUT'],
      ['a reserved metadata key', { metadata: { order_id: 'x' } }, 'INVALID_INPUT'],
      ['non-string metadata', { metadata: { n: 1 } }, 'INVALID_INPUT'],
      [
        "49 metadata keys (Stripe allows 50, two are the library's)",
        { metadata: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])) },
        'INVALID_INPUT',
      ],
      ['a metadata key with square brackets', { metadata: { 'a[b]': 'v' } }, 'INVALID_INPUT'],
      ['a metadata key over 40 characters', { metadata: { ['k'.repeat(41)]: 'v' } }, 'INVALID_INPUT'],
      ['a metadata value over 500 characters', { metadata: { k: 'v'.repeat(501) } }, 'INVALID_INPUT'],
      ['a bad email', { customerEmail: 'x' }, 'INVALID_INPUT'],
      ['an empty orderId', { orderId: '' }, 'INVALID_INPUT'],
    ])('%s', async (_label, change, code) => {
      const { market: m, storage } = await withVendor();
      await expect(
        m.createCheckout({ orderId: 'o_bad', vendorId: 'driver_42', amount: 2000, currency: 'gbp', ...change } as never),
      ).rejects.toMatchObject({ code });
      expect(await storedOrder(storage, 'o_bad')).toBeNull();
    });

    it.each<[string, CommissionPolicy]>([
      ['a policy returning 2500 on 2000', () => 2500],
      ['a policy returning 2.5', () => 2.5],
      ['a policy returning -1', () => -1],
      ['a fixed fee without the currency', fixedFee({ usd: 30 })],
    ])('%s (INVALID_COMMISSION)', async (_label, policy) => {
      const { market: m, storage } = await withVendor(policy);
      await expect(
        m.createCheckout({ orderId: 'o_fee', vendorId: 'driver_42', amount: 2000, currency: 'gbp' }),
      ).rejects.toMatchObject({
        code: 'INVALID_COMMISSION',
      });
      expect(await storedOrder(storage, 'o_fee')).toBeNull();
    });

    it('an unknown vendor (VENDOR_NOT_FOUND)', async () => {
      const { market: m } = await withVendor();
      await expect(m.createCheckout({ orderId: 'o1', vendorId: 'ghost', amount: 2000, currency: 'gbp' })).rejects.toMatchObject({
        code: 'VENDOR_NOT_FOUND',
      });
    });
  });

  it('asks Stripe before refusing a vendor whose stored state is not ready (VENDOR_NOT_READY)', async () => {
    const { market: m, storage } = await withVendor(percentage(12), { status: 'onboarding', transfersCapability: 'inactive' });
    const retrieve = expectStripe('GET', '/v1/accounts/acct_1', account());
    await expect(m.createCheckout({ orderId: 'o1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' })).rejects.toMatchObject(
      {
        code: 'VENDOR_NOT_READY',
        details: { status: 'onboarding', transfersCapability: 'inactive' },
      },
    );
    expect(retrieve.calls).toHaveLength(1);
    expect(await storedOrder(storage, 'o1')).toBeNull();
  });

  it('proceeds when Stripe says the vendor became ready since the last webhook', async () => {
    const { market: m, storage } = await withVendor(percentage(12), {
      status: 'pending_verification',
      transfersCapability: 'pending',
    });
    expectStripe('GET', '/v1/accounts/acct_1', activeAccount());
    expectStripe('POST', '/v1/payment_intents', paymentIntent());
    await m.createCheckout({ orderId: 'o1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    expect(await storedVendor(storage, 'driver_42')).toMatchObject({ status: 'active' });
  });

  it("keeps a card decline's decline_code reachable on STRIPE_ERROR", async () => {
    const { market: m } = await withVendor();
    expectStripe(
      'POST',
      '/v1/payment_intents',
      {
        error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
        },
      },
      402,
    );
    const error = await m
      .createCheckout({ orderId: 'o_dec', vendorId: 'driver_42', amount: 2000, currency: 'gbp' })
      .catch((e) => e);
    expect(error).toMatchObject({
      code: 'STRIPE_ERROR',
      stripeCode: 'card_declined',
      declineCode: 'insufficient_funds',
      statusCode: 402,
    });
    expect(error.cause.type).toBe('StripeCardError');
  });
});

describe('createCheckout (hosted)', () => {
  const hosted = {
    mode: 'hosted' as const,
    orderId: 'order_h1',
    vendorId: 'driver_42',
    currency: 'gbp',
    lineItems: [
      { name: 'Ride', unitAmount: 1500, quantity: 1 },
      { name: 'Tip', unitAmount: 250, quantity: 2 },
    ],
    successUrl: 'https://platform.example/orders/order_h1?paid=1',
    cancelUrl: 'https://platform.example/orders/order_h1',
  };
  const session = {
    id: 'cs_test_1',
    object: 'checkout.session',
    url: 'https://checkout.stripe.com/c/pay/cs_test_1',
    payment_intent: null,
    status: 'open',
  };

  it('creates a Checkout Session with the fee on the total and the destination', async () => {
    const { market: m, storage } = await withVendor();
    const create = expectStripe('POST', '/v1/checkout/sessions', session);
    const result = await m.createCheckout({ ...hosted, customerEmail: 'rider@example.com' });
    expect(create.calls[0]!.headers['idempotency-key']).toBe('checkout:order_h1');
    expect(create.calls[0]!.form).toEqual({
      mode: 'payment',
      'line_items[0][price_data][currency]': 'gbp',
      'line_items[0][price_data][unit_amount]': '1500',
      'line_items[0][price_data][product_data][name]': 'Ride',
      'line_items[0][quantity]': '1',
      'line_items[1][price_data][currency]': 'gbp',
      'line_items[1][price_data][unit_amount]': '250',
      'line_items[1][price_data][product_data][name]': 'Tip',
      'line_items[1][quantity]': '2',
      success_url: hosted.successUrl,
      cancel_url: hosted.cancelUrl,
      client_reference_id: 'order_h1',
      'metadata[order_id]': 'order_h1',
      'metadata[vendor_id]': 'driver_42',
      'payment_intent_data[application_fee_amount]': '240',
      'payment_intent_data[transfer_data][destination]': 'acct_1',
      'payment_intent_data[metadata][order_id]': 'order_h1',
      'payment_intent_data[metadata][vendor_id]': 'driver_42',
      customer_email: 'rider@example.com',
    });
    expect(result).toEqual({
      mode: 'hosted',
      orderId: 'order_h1',
      paymentIntentId: null,
      sessionId: 'cs_test_1',
      url: 'https://checkout.stripe.com/c/pay/cs_test_1',
      amount: 2000,
      currency: 'gbp',
      applicationFeeAmount: 240,
      vendorAmount: 1760,
      accountId: 'acct_1',
      status: 'pending',
    });
    expect(await resolved(storage, 'cs_test_1')).toMatchObject({ orderId: 'order_h1', mode: 'hosted' });
  });

  it('returns the stored session on a repeat call', async () => {
    const { market: m } = await withVendor();
    const create = expectStripe('POST', '/v1/checkout/sessions', session);
    await m.createCheckout(hosted);
    expectStripe('GET', '/v1/checkout/sessions/cs_test_1', { ...session, status: 'complete', url: null, payment_intent: 'pi_9' });
    const again = await m.createCheckout(hosted);
    expect(again).toMatchObject({ sessionId: 'cs_test_1', url: null, paymentIntentId: 'pi_9' });
    expect(create.calls).toHaveLength(1);
  });

  it('conflicts with an embedded order of the same id', async () => {
    const { market: m } = await withVendor();
    expectStripe('POST', '/v1/checkout/sessions', session);
    await m.createCheckout(hosted);
    await expect(
      m.createCheckout({ orderId: 'order_h1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' }),
    ).rejects.toMatchObject({
      code: 'ORDER_CONFLICT',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no line items', { lineItems: [] }, 'INVALID_INPUT'],
    ['a fractional unit amount', { lineItems: [{ name: 'x', unitAmount: 10.5, quantity: 1 }] }, 'INVALID_INPUT'],
    ['a zero quantity', { lineItems: [{ name: 'x', unitAmount: 1000, quantity: 0 }] }, 'INVALID_INPUT'],
    ['a total below the minimum', { lineItems: [{ name: 'x', unitAmount: 10, quantity: 2 }] }, 'AMOUNT_TOO_SMALL'],
    [
      'an ISK unit price not in hundreds',
      { currency: 'isk', lineItems: [{ name: 'x', unitAmount: 550, quantity: 2 }] },
      'INVALID_INPUT',
    ],
    ['a missing successUrl', { successUrl: undefined }, 'INVALID_INPUT'],
    ['an amount field', { amount: 2000 }, 'INVALID_INPUT'],
  ])('refuses %s before Stripe is called', async (_label, change, code) => {
    const { market: m } = await withVendor();
    await expect(m.createCheckout({ ...hosted, ...change } as never)).rejects.toMatchObject({ code });
  });
});

describe('reads', () => {
  it('getOrder and getVendor return null for unknown ids and refuse bad ids', async () => {
    const { market: m } = market();
    expect(await m.getOrder('nope')).toBeNull();
    expect(await m.getVendor('nope')).toBeNull();
    await expect(m.getOrder('' as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(m.getVendor(undefined as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('wraps a failing storage as STORAGE_ERROR and calls no Stripe API', async () => {
    const storage = memoryStorage();
    storage.get = async () => {
      throw new Error('connection refused');
    };
    const { market: m } = market({ storage });
    const error = await m.createCheckout({ orderId: 'o1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining('connection refused') });
  });
});
