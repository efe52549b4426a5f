import { describe, expect, it } from 'vitest';
import { ACCOUNT_REQUEST, envelope, ORDER, type OrderRecord } from '../../src/index.js';
import { completeHostedOnboarding, loseNextAnswer, type World, world } from '../world.js';

// A retry after a crash (or a lost answer) between storing a request and Stripe's answer must send the same
// parameters under the same idempotency key. Stripe compares a reused key's parameters with the first
// request's and errors when they differ, and prunes keys once they are at least 24 hours old, after which a
// reused key is a new request: https://docs.stripe.com/idempotency (also https://docs.stripe.com/api/idempotent_requests).

async function readyVendor(w: World, vendorId = 'v1') {
  const { url } = await w.market.onboardVendor({
    vendorId,
    country: 'GB',
    email: 'v1@example.com',
    returnUrl: 'https://example.com/r',
    refreshUrl: 'https://example.com/f',
  });
  await completeHostedOnboarding(w, url);
  await w.market.completeOnboarding({ vendorId });
}

const embedded = {
  orderId: 'o1',
  vendorId: 'v1',
  amount: 2500,
  currency: 'gbp',
  customerEmail: 'buyer@example.com',
  metadata: { cart: 'c1' },
  description: 'Two rides',
};

const hosted = {
  mode: 'hosted' as const,
  orderId: 'o2',
  vendorId: 'v1',
  currency: 'gbp',
  lineItems: [{ name: 'Ride', unitAmount: 1250, quantity: 2 }],
  successUrl: 'https://example.com/paid',
  cancelUrl: 'https://example.com/cancelled',
};

async function storedOrder(w: World, orderId: string): Promise<OrderRecord | undefined> {
  return (await w.market.storage.get<OrderRecord>(ORDER.kind, orderId))?.data;
}

describe('createCheckout retried after its answer from Stripe was lost', () => {
  it('stores the request before sending it, and a retry with the same input gets the same PaymentIntent', async () => {
    const w = world();
    await readyVendor(w);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(embedded)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    const stored = await storedOrder(w, 'o1');
    expect(stored?.paymentIntentId).toBeNull();
    expect(stored?.stripeRequest).toMatchObject({
      method: 'paymentIntents.create',
      params: { amount: 2500, receipt_email: 'buyer@example.com', description: 'Two rides', metadata: { cart: 'c1' } },
    });

    const retried = await w.market.createCheckout(embedded);
    const intents = (await w.stripe.paymentIntents.list()).data;
    expect(intents.map((intent) => intent.id)).toEqual([retried.mode === 'embedded' ? retried.paymentIntentId : '']);
    expect(intents[0]).toMatchObject({ amount: 2500, application_fee_amount: 300, receipt_email: 'buyer@example.com' });
    expect((await storedOrder(w, 'o1'))?.paymentIntentId).toBe(intents[0]?.id);
  });

  it.each([
    ['another customerEmail', { customerEmail: 'other@example.com' }, /receipt_email/],
    ['onBehalfOf', { onBehalfOf: true }, /on_behalf_of/],
    ['other metadata', { metadata: { cart: 'c2' } }, /metadata/],
    ['another description', { description: 'Three rides' }, /description/],
  ])('a retry with %s is ORDER_CONFLICT, not Stripe idempotency error, and creates nothing', async (_name, change, named) => {
    const w = world();
    await readyVendor(w);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(embedded)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    const error = await w.market.createCheckout({ ...embedded, ...change }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ORDER_CONFLICT' });
    expect(String((error as Error).message)).toMatch(named);
    expect((await w.stripe.paymentIntents.list()).data).toHaveLength(1);
    // The order's own request still goes through.
    await expect(w.market.createCheckout(embedded)).resolves.toMatchObject({ amount: 2500 });
  });

  it('hosted: a retry with another success URL or other line items is ORDER_CONFLICT; the same one gets the same session', async () => {
    const w = world();
    await readyVendor(w);
    loseNextAnswer(w.stripe.checkout.sessions, 'create');
    await expect(w.market.createCheckout(hosted)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    await expect(w.market.createCheckout({ ...hosted, successUrl: 'https://example.com/other' })).rejects.toMatchObject({
      code: 'ORDER_CONFLICT',
      message: expect.stringContaining('success_url'),
    });
    await expect(
      w.market.createCheckout({ ...hosted, lineItems: [{ name: 'Taxi', unitAmount: 1250, quantity: 2 }] }),
    ).rejects.toMatchObject({
      code: 'ORDER_CONFLICT',
      message: expect.stringContaining('line_items.0.price_data.product_data.name'),
    });
    const retried = await w.market.createCheckout(hosted);
    const sessions = (await w.stripe.checkout.sessions.list()).data;
    expect(sessions.map((session) => session.id)).toEqual([retried.mode === 'hosted' ? retried.sessionId : '']);
    expect((await storedOrder(w, 'o2'))?.checkoutSessionId).toBe(sessions[0]?.id);
  });

  it('an order stored by an earlier version (no stored request) is retried with the request built from the call', async () => {
    const w = world();
    await readyVendor(w);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(embedded)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    const stored = await w.market.storage.get<OrderRecord>(ORDER.kind, 'o1');
    if (!stored) throw new Error('the order was not stored');
    const { stripeRequest: _dropped, ...legacy } = stored.data;
    const { applied } = await w.market.storage.update(ORDER.kind, 'o1', envelope(ORDER, legacy as OrderRecord), {
      version: stored.version,
    });
    expect(applied).toBe(true);
    // Only amount, currency, vendor and mode are compared for it, as before.
    await expect(w.market.createCheckout({ ...embedded, amount: 2600 })).rejects.toMatchObject({ code: 'ORDER_CONFLICT' });
    const retried = await w.market.createCheckout(embedded);
    expect((await w.stripe.paymentIntents.list()).data.map((intent) => intent.id)).toEqual([
      retried.mode === 'embedded' ? retried.paymentIntentId : '',
    ]);
  });

  it("after Stripe's 24-hour window a retry is a new request: a second PaymentIntent, which the order records", async () => {
    const w = world();
    await readyVendor(w);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(embedded)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    w.sandbox.advanceTime(24 * 3_600_000);
    const retried = await w.market.createCheckout(embedded);
    const intents = (await w.stripe.paymentIntents.list()).data;
    expect(intents).toHaveLength(2);
    const recorded = (await storedOrder(w, 'o1'))?.paymentIntentId;
    expect(recorded).toBe(retried.mode === 'embedded' ? retried.paymentIntentId : null);
    // The first one was never handed to a customer: it waits for a payment method and is never charged.
    expect(intents.find((intent) => intent.id !== recorded)?.status).toBe('requires_payment_method');
  });
});

describe('onboardVendor retried after its answer from Stripe was lost', () => {
  const input = {
    vendorId: 'v9',
    country: 'GB',
    email: 'v9@example.com',
    businessProfile: { name: 'Nine Rides', mcc: '4121' },
    returnUrl: 'https://example.com/r',
    refreshUrl: 'https://example.com/f',
  };

  it('a retry with another country, email or business profile is VENDOR_CONFLICT; the stored request is sent otherwise', async () => {
    const w = world();
    loseNextAnswer(w.stripe.accounts, 'create');
    await expect(w.market.onboardVendor(input)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    expect((await w.market.storage.get(ACCOUNT_REQUEST.kind, 'v9'))?.data).toMatchObject({
      request: { method: 'accounts.create', params: { country: 'GB', email: 'v9@example.com' } },
    });
    expect(await w.market.getVendor('v9')).toBeNull();

    for (const change of [{ country: 'FR' }, { email: 'other@example.com' }, { businessProfile: { name: 'Ten Rides' } }]) {
      await expect(w.market.onboardVendor({ ...input, ...change })).rejects.toMatchObject({ code: 'VENDOR_CONFLICT' });
    }
    // Leaving the prefill out is no conflict: the stored request (with it) is what is sent.
    const { accountId } = await w.market.onboardVendor({
      vendorId: 'v9',
      returnUrl: input.returnUrl,
      refreshUrl: input.refreshUrl,
    });
    const accounts = (await w.stripe.accounts.list()).data;
    expect(accounts.map((account) => account.id)).toEqual([accountId]);
    expect(accounts[0]).toMatchObject({ country: 'GB', email: 'v9@example.com', metadata: { vendor_id: 'v9' } });

    // Once the vendor exists: a new link for the same values or none, VENDOR_CONFLICT for others.
    await expect(w.market.onboardVendor(input)).resolves.toMatchObject({ accountId });
    await expect(w.market.onboardVendor({ ...input, email: 'new@example.com' })).rejects.toMatchObject({
      code: 'VENDOR_CONFLICT',
      details: { vendorId: 'v9', differences: ['email'] },
    });
    expect((await w.stripe.accounts.list()).data).toHaveLength(1);
  });
});
