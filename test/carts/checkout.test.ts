import { describe, expect, it, vi } from 'vitest';
import { type CommissionContext, isMarketplaceError, percentage } from '../../src/index.js';
import type { VendorRecord } from '../../src/core/records.js';
import { seedVendor } from '../records.js';
import { cartWorld, startOnboarding } from './helpers.js';

// Separate charges and transfers: one PaymentIntent on the platform with a transfer_group, no application fee and no
// destination (https://docs.stripe.com/connect/separate-charges-and-transfers; the PaymentIntent's `transfer_group`:
// https://docs.stripe.com/api/payment_intents/create#create_payment_intent-transfer_group).

const ITEMS = [
  { vendorId: 'ann', amount: 1500, description: 'Teapot' },
  { vendorId: 'bob', amount: 999, description: 'Mug' },
  { vendorId: 'cat', amount: 1001, description: 'Spoon' },
];

async function expectRefused(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isMarketplaceError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  if (pattern) expect((error as Error).message).toMatch(pattern);
}

describe('createCheckout with items (a cart)', () => {
  it('creates one PaymentIntent on the platform with transfer_group = the order, priced once per item', async () => {
    const seen: CommissionContext[] = [];
    const policy = percentage(12.5);
    const w = await cartWorld(undefined, {
      commission: (ctx) => {
        seen.push(ctx);
        return policy(ctx);
      },
    });
    const result = await w.market.createCheckout({
      orderId: 'cart_1',
      currency: 'GBP',
      items: ITEMS,
      metadata: { basket: 'b1' },
    });

    // 12.5 % half up: 1500 -> 187.5 -> 188; 999 -> 124.875 -> 125; 1001 -> 125.125 -> 125.
    expect(result.items.map((i) => [i.vendorId, i.amount, i.applicationFeeAmount, i.vendorAmount])).toEqual([
      ['ann', 1500, 188, 1312],
      ['bob', 999, 125, 874],
      ['cat', 1001, 125, 876],
    ]);
    expect(result).toMatchObject({
      mode: 'embedded',
      orderId: 'cart_1',
      amount: 3500,
      currency: 'gbp',
      applicationFeeAmount: 438,
      vendorAmount: 3062,
      transferGroup: 'cart_1',
      status: 'pending',
    });
    // The sums: per item, and over the cart.
    for (const item of result.items) expect(item.applicationFeeAmount + item.vendorAmount).toBe(item.amount);
    const sum = (key: 'amount' | 'applicationFeeAmount' | 'vendorAmount') => result.items.reduce((s, i) => s + i[key], 0);
    expect(sum('amount')).toBe(result.amount);
    expect(sum('vendorAmount') + sum('applicationFeeAmount')).toBe(result.amount);

    // The policy was asked once per item, and its context named the item and its vendor.
    expect(seen.map((c) => [c.vendorId, c.accountId, c.amount, c.item])).toEqual([
      ['ann', w.accounts.ann, 1500, { index: 0, count: 3, description: 'Teapot' }],
      ['bob', w.accounts.bob, 999, { index: 1, count: 3, description: 'Mug' }],
      ['cat', w.accounts.cat, 1001, { index: 2, count: 3, description: 'Spoon' }],
    ]);

    if (result.mode !== 'embedded') throw new Error('expected an embedded cart');
    const intent = await w.stripe.paymentIntents.retrieve(result.paymentIntentId);
    expect(intent).toMatchObject({
      amount: 3500,
      currency: 'gbp',
      transfer_group: 'cart_1',
      application_fee_amount: null,
      transfer_data: null,
      metadata: { basket: 'b1', order_id: 'cart_1' },
    });
    expect(await w.market.getOrder('cart_1')).toMatchObject({
      chargeType: 'separate',
      vendorId: 'ann',
      amount: 3500,
      applicationFeeAmount: 438,
      vendorAmount: 3062,
      paymentIntentId: result.paymentIntentId,
    });
  });

  it('repeating the call returns the same payment; other terms for the same order id are a conflict', async () => {
    const w = await cartWorld();
    const create = vi.spyOn(w.stripe.paymentIntents, 'create');
    const first = await w.market.createCheckout({ orderId: 'cart_2', currency: 'gbp', items: ITEMS });
    const again = await w.market.createCheckout({ orderId: 'cart_2', currency: 'gbp', items: ITEMS });
    expect(again).toEqual(first);
    expect(create).toHaveBeenCalledTimes(1);
    expect(create.mock.calls[0]?.[1]).toEqual({ idempotencyKey: 'checkout:cart_2' });
    await expectRefused(
      w.market.createCheckout({ orderId: 'cart_2', currency: 'gbp', items: [ITEMS[0]!, { ...ITEMS[1]!, amount: 1000 }] }),
      'ORDER_CONFLICT',
      /items/,
    );
    await expectRefused(
      w.market.createCheckout({ orderId: 'cart_2', vendorId: 'ann', amount: 3500, currency: 'gbp' }),
      'ORDER_CONFLICT',
    );
  });

  it('hosted: one Checkout Session with one line item per item and payment_intent_data.transfer_group', async () => {
    const w = await cartWorld();
    const create = vi.spyOn(w.stripe.checkout.sessions, 'create');
    const result = await w.market.createCheckout({
      mode: 'hosted',
      orderId: 'cart_h',
      currency: 'gbp',
      items: ITEMS,
      successUrl: 'https://market.example/paid',
      cancelUrl: 'https://market.example/cart',
    });
    expect(result).toMatchObject({ mode: 'hosted', amount: 3500, applicationFeeAmount: 420, vendorAmount: 3080 });
    if (result.mode !== 'hosted') throw new Error('expected a hosted cart');
    expect(result.url).toMatch(/^http/);
    const params = create.mock.calls[0]?.[0];
    expect(params?.line_items).toEqual([
      { price_data: { currency: 'gbp', unit_amount: 1500, product_data: { name: 'Teapot' } }, quantity: 1 },
      { price_data: { currency: 'gbp', unit_amount: 999, product_data: { name: 'Mug' } }, quantity: 1 },
      { price_data: { currency: 'gbp', unit_amount: 1001, product_data: { name: 'Spoon' } }, quantity: 1 },
    ]);
    expect(params?.payment_intent_data).toEqual({ transfer_group: 'cart_h', metadata: { order_id: 'cart_h' } });
    const session = await w.stripe.checkout.sessions.retrieve(result.sessionId);
    expect(session.amount_total).toBe(3500);
  });

  it('accepts a vendor who cannot receive transfers yet (their transfer is held); refuses a disconnected one', async () => {
    const w = await cartWorld(['ann']);
    await startOnboarding(w, 'newbie');
    const result = await w.market.createCheckout({
      orderId: 'cart_new',
      currency: 'gbp',
      items: [
        { vendorId: 'ann', amount: 1000 },
        { vendorId: 'newbie', amount: 1000 },
      ],
    });
    expect(result.items.map((i) => i.vendorId)).toEqual(['ann', 'newbie']);

    const gone = (await w.market.getVendor('newbie')) as VendorRecord;
    await seedVendor(w.market.storage, { ...gone, vendorId: 'gone', accountId: 'acct_gone', status: 'disconnected' });
    const create = vi.spyOn(w.stripe.paymentIntents, 'create');
    await expectRefused(
      w.market.createCheckout({
        orderId: 'cart_gone',
        currency: 'gbp',
        items: [
          { vendorId: 'ann', amount: 1000 },
          { vendorId: 'gone', amount: 1000 },
        ],
      }),
      'VENDOR_NOT_READY',
      /disconnected/,
    );
    expect(create).not.toHaveBeenCalled();
  });

  it('refuses, before Stripe, an empty cart, mixed currencies, an unknown vendor, a vendor twice, and a total over the limit', async () => {
    const commission = vi.fn(() => 0);
    const w = await cartWorld(undefined, { commission });
    const createIntent = vi.spyOn(w.stripe.paymentIntents, 'create');
    const createSession = vi.spyOn(w.stripe.checkout.sessions, 'create');
    const m = w.market;
    const cart = (items: unknown, extra: Record<string, unknown> = {}) =>
      m.createCheckout({ orderId: 'cart_bad', currency: 'gbp', items, ...extra } as never);

    await expectRefused(cart([]), 'INVALID_CART', /empty/);
    await expectRefused(cart([ITEMS[0], { ...ITEMS[1], currency: 'eur' }]), 'INVALID_CART', /one currency/);
    await expectRefused(cart([ITEMS[0], { vendorId: 'nobody', amount: 500 }]), 'VENDOR_NOT_FOUND');
    await expectRefused(
      cart([ITEMS[0], ITEMS[1], { ...ITEMS[0], amount: 200 }]),
      'INVALID_CART',
      /appears in items.0 and items.2/,
    );
    // Stripe's amount limit is 8 digits (99 999 999 minor units): two items under it can total over it.
    await expectRefused(
      cart([
        { vendorId: 'ann', amount: 60_000_000 },
        { vendorId: 'bob', amount: 40_000_000 },
      ]),
      'INVALID_CART',
      /limit/,
    );
    await expectRefused(cart([{ vendorId: 'ann', amount: 10 }]), 'AMOUNT_TOO_SMALL');
    await expectRefused(cart([{ vendorId: 'ann', amount: 0 }]), 'INVALID_INPUT', /items.0.amount/);
    await expectRefused(cart([{ vendorId: 'ann', amount: 12.5 }]), 'INVALID_INPUT', /items.0.amount/);
    await expectRefused(cart(Array.from({ length: 101 }, (_, i) => ({ vendorId: `v${i}`, amount: 100 }))), 'INVALID_CART');
    await expectRefused(cart([ITEMS[0]], { vendorId: 'ann' }), 'INVALID_INPUT', /unknown key "vendorId"/);
    await expectRefused(cart([ITEMS[0]], { currency: 'xyz' }), 'UNSUPPORTED_CURRENCY');
    await expectRefused(cart([ITEMS[0]], { metadata: { order_id: 'x' } }), 'INVALID_INPUT', /metadata.order_id/);
    await expectRefused(
      cart([{ vendorId: 'ann', amount: 1000 }], {
        mode: 'hosted',
        successUrl: 'https://a.example',
        cancelUrl: 'https://a.example',
      }),
      'INVALID_INPUT',
      /items.0.description is required/,
    );
    await expectRefused(
      m.createCheckout({ orderId: 'cart_isk', currency: 'isk', items: [{ vendorId: 'ann', amount: 15_050 }] }),
      'INVALID_INPUT',
      /multiple of 100/,
    );
    expect(commission).not.toHaveBeenCalled();
    expect(createIntent).not.toHaveBeenCalled();
    expect(createSession).not.toHaveBeenCalled();
    expect(await m.getOrder('cart_bad')).toBeNull();
  });

  it('a commission policy that returns more than an item is refused for that item, before Stripe', async () => {
    const w = await cartWorld(undefined, { commission: ({ amount, item }) => (item?.index === 1 ? amount + 1 : 0) });
    const create = vi.spyOn(w.stripe.paymentIntents, 'create');
    await expectRefused(
      w.market.createCheckout({ orderId: 'cart_fee', currency: 'gbp', items: ITEMS }),
      'INVALID_COMMISSION',
      /outside 0..999/,
    );
    expect(create).not.toHaveBeenCalled();
    expect(await w.market.getOrder('cart_fee')).toBeNull();
  });
});
