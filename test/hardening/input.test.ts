import { describe, expect, it } from 'vitest';
import { market, vendorRecord } from '../helpers.js';
import { seedVendor } from '../records.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { makeMarket, sign, stripeEvent } from '../webhooks/helpers.js';

// No Stripe interceptor is set in this file: a request that reached Stripe would fail with a network
// error (STRIPE_ERROR), not INVALID_INPUT.

const BAD_URLS = ['javascript:alert(1)', 'ftp://market.example/x', 'http://market.example/back', 'data:text/html,hi'];

async function withVendor() {
  const storage = memoryStorage();
  await seedVendor(storage, vendorRecord());
  return market({ storage, oauth: { clientId: 'ca_123' } }).market;
}

const embedded = { orderId: 'order_1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' } as const;
const hosted = {
  mode: 'hosted',
  orderId: 'order_2',
  vendorId: 'driver_42',
  currency: 'gbp',
  lineItems: [{ name: 'Ride', unitAmount: 2000, quantity: 1 }],
  successUrl: 'https://market.example/ok',
  cancelUrl: 'https://market.example/cancel',
} as const;

describe('URLs are https, or http on a loopback host', () => {
  it.each(BAD_URLS)('refuses %s for every URL parameter', async (url) => {
    const m = await withVendor();
    const onboard = { vendorId: 'v', returnUrl: 'https://market.example/r', refreshUrl: 'https://market.example/f' };
    for (const call of [
      () => m.onboardVendor({ ...onboard, returnUrl: url }),
      () => m.onboardVendor({ ...onboard, refreshUrl: url }),
      () => m.oauthAuthorizeUrl({ vendorId: 'v', redirectUri: url }),
      () => m.createCheckout({ ...hosted, lineItems: [...hosted.lineItems], successUrl: url }),
      () => m.createCheckout({ ...hosted, lineItems: [...hosted.lineItems], cancelUrl: url }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });

  it('accepts http on localhost and 127.0.0.1 (local development)', async () => {
    const m = await withVendor();
    for (const redirectUri of ['http://localhost:3000/oauth', 'http://127.0.0.1:3000/oauth', 'https://market.example/oauth']) {
      await expect(m.oauthAuthorizeUrl({ vendorId: 'v', redirectUri })).resolves.toMatchObject({ state: expect.any(String) });
    }
  });
});

describe('metadata keys that name object internals are refused, not dropped', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses metadata key %s', async (key) => {
    const m = await withVendor();
    const metadata = JSON.parse(`{${JSON.stringify(key)}: "x", "ride": "r_9"}`) as Record<string, string>;
    await expect(m.createCheckout({ ...embedded, metadata })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(key),
    });
  });
});

describe('control characters are refused before anything is stored', () => {
  it.each([
    ['a description', { description: 'Ride\u0000home' }],
    ['a metadata value', { metadata: { ride: 'r\u001b[31m' } }],
    ['a metadata key', { metadata: { 'ri\nde': 'r_9' } }],
  ])('refuses %s with a control character', async (_what, extra) => {
    const m = await withVendor();
    await expect(m.createCheckout({ ...embedded, ...extra })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(m.getOrder('order_1')).resolves.toBeNull();
  });

  it('refuses a line item name with a control character', async () => {
    const m = await withVendor();
    await expect(
      m.createCheckout({ ...hosted, lineItems: [{ name: 'Ride\u0007', unitAmount: 2000, quantity: 1 }] }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('webhook signatures dated in the future and oversized bodies', () => {
  // https://docs.stripe.com/webhooks#verify-events : the timestamp guards against replay attacks; the library
  // applies the tolerance both ways, so a signature made with a clock far ahead cannot be stored for later.
  it('refuses a signature dated beyond the tolerance in the future with 400', async () => {
    const { market: m } = makeMarket();
    const future = Math.floor(Date.now() / 1000) + 3600;
    const result = await m.handleWebhook(sign(stripeEvent('payment_intent.created', { id: 'pi_1' }), { timestamp: future }));
    expect(result).toMatchObject({ status: 400, outcome: 'rejected', error: expect.stringContaining('future') });
  });

  it('accepts a signature a little in the future (clock skew within the tolerance)', async () => {
    const { market: m } = makeMarket();
    const soon = Math.floor(Date.now() / 1000) + 60;
    const result = await m.handleWebhook(sign(stripeEvent('payment_intent.created', { id: 'pi_1' }), { timestamp: soon }));
    expect(result.status).toBe(200);
  });

  it('answers 413 for a body over 1 MiB given to handleWebhook itself', async () => {
    const { market: m } = makeMarket();
    const event = stripeEvent('payment_intent.created', { id: 'pi_1', padding: 'x'.repeat(1024 * 1024) });
    const signed = sign(event);
    expect((await m.handleWebhook(signed)).status).toBe(413);
    expect((await m.handleWebhook({ ...signed, body: new TextEncoder().encode(signed.body) })).status).toBe(413);
  });

  it('counts a string body in UTF-8 bytes, not characters', async () => {
    const { market: m } = makeMarket();
    // 'é' is 2 bytes: 600 000 of them are 1.2 MB in 600 000 characters; 400 000 are 800 kB.
    const over = sign(stripeEvent('payment_intent.created', { id: 'pi_1', padding: 'é'.repeat(600_000) }));
    expect((await m.handleWebhook(over)).status).toBe(413);
    const under = sign(stripeEvent('payment_intent.created', { id: 'pi_2', padding: 'é'.repeat(400_000) }));
    expect((await m.handleWebhook(under)).status).toBe(200);
  });
});

describe('businessProfile is checked against the keys and types Stripe accepts', () => {
  // https://docs.stripe.com/api/accounts/create#create_account-business_profile
  it.each([
    ['an unknown key', { nmae: 'Typo Ltd' }],
    ['a number for the name', { name: 42 }],
    ['an mcc of 5 digits', { mcc: '58120' }],
    ['a control character in the product description', { product_description: 'Rides\u0000' }],
    ['a support email that is not an email', { support_email: 'nope' }],
    ['an unknown support address key', { support_address: { street: 'Main St' } }],
    ['a name over 5000 characters', { name: 'x'.repeat(5001) }],
  ])('refuses %s', async (_what, businessProfile) => {
    const m = await withVendor();
    await expect(
      m.onboardVendor({
        vendorId: 'v_new',
        businessProfile: businessProfile as never,
        returnUrl: 'https://market.example/r',
        refreshUrl: 'https://market.example/f',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
