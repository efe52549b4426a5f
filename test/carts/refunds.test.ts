import { describe, expect, it, vi } from 'vitest';
import { isMarketplaceError } from '../../src/index.js';
import type { World } from '../world.js';
import { cartWorld, startOnboarding } from './helpers.js';

// Separate charges and transfers: refunding the charge does not touch the transfers; the platform reverses each
// vendor's transfer itself (https://docs.stripe.com/connect/separate-charges-and-transfers, "Issue refunds";
// https://docs.stripe.com/api/transfer_reversals/create). A transfer_group transfer can be reversed only while the
// destination's balance covers it (https://docs.stripe.com/api/transfer_reversals).

const ITEMS = [
  { vendorId: 'ann', amount: 1500, description: 'Teapot' },
  { vendorId: 'bob', amount: 999, description: 'Mug' },
  { vendorId: 'cat', amount: 1001, description: 'Spoon' },
];

async function paidCart(w: World, orderId: string) {
  const cart = await w.market.createCheckout({ orderId, currency: 'gbp', items: ITEMS });
  if (cart.mode !== 'embedded') throw new Error('expected an embedded cart');
  await w.stripe.paymentIntents.confirm(cart.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
  return cart;
}

async function refused(promise: Promise<unknown>, code: string, pattern?: RegExp) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isMarketplaceError(error, code as never), String(error)).toBe(true);
  if (pattern) expect((error as Error).message).toMatch(pattern);
}

describe('refunds of a cart', () => {
  it("a partial refund of one vendor's item reverses that vendor's transfer only; a full refund then reverses the rest", async () => {
    const w = await cartWorld();
    const cart = await paidCart(w, 'cart_r');
    const balance = (account: string) => w.sandbox.balances().find((b) => b.account === account)?.available ?? 0;
    const vendors = () => ({ ann: balance(w.accounts.ann!), bob: balance(w.accounts.bob!), cat: balance(w.accounts.cat!) });
    expect(vendors()).toEqual({ ann: 1320, bob: 879, cat: 881 });
    expect(balance('platform')).toBe(420);

    // Bob's mug, 500 of its 999: under the default policy bob gives back his share, 879 * 500 / 999 = 439.94 -> 440,
    // and the platform bears the rest of the part, 60 (its fee on it).
    const partial = await w.market.refund({ orderId: 'cart_r', refundId: 'r1', items: [{ vendorId: 'bob', amount: 500 }] });
    expect(partial).toMatchObject({ amount: 500, status: 'succeeded' });
    expect(partial.parts?.map((p) => [p.vendorId, p.amount, p.vendorBears, p.platformBears])).toEqual([
      ['ann', 0, 0, 0],
      ['bob', 500, 440, 60],
      ['cat', 0, 0, 0],
    ]);
    for (const p of partial.parts ?? []) expect(p.vendorBears + p.platformBears).toBe(p.amount);
    expect(partial.transferReversals?.map((m) => [m.vendorId, m.amount])).toEqual([['bob', 440]]);
    expect(vendors()).toEqual({ ann: 1320, bob: 439, cat: 881 });
    expect(balance('platform')).toBe(420 - 60);
    const bob = (await w.market.listTransfers('cart_r')).find((t) => t.vendorId === 'bob');
    expect(bob).toMatchObject({ status: 'paid', amountReversed: 440 });
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('cart_r')).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });

    // The same call again is the same refund: nothing more moves. Other items under the same refund id conflict.
    const reverse = vi.spyOn(w.stripe.transfers, 'createReversal');
    await w.market.refund({ orderId: 'cart_r', refundId: 'r1', items: [{ vendorId: 'bob', amount: 500 }] });
    expect(reverse).not.toHaveBeenCalled();
    await refused(
      w.market.refund({ orderId: 'cart_r', refundId: 'r1', items: [{ vendorId: 'ann', amount: 500 }] }),
      'REFUND_CONFLICT',
    );

    // The rest of the cart: 3000, allocated to the items by what is left of each; every transfer ends fully reversed.
    const full = await w.market.refund({ orderId: 'cart_r', refundId: 'r2' });
    expect(full.amount).toBe(3000);
    expect(full.parts?.map((p) => [p.vendorId, p.amount])).toEqual([
      ['ann', 1500],
      ['bob', 499],
      ['cat', 1001],
    ]);
    for (const p of full.parts ?? []) expect(p.vendorBears + p.platformBears).toBe(p.amount);
    expect(vendors()).toEqual({ ann: 0, bob: 0, cat: 0 });
    expect(balance('platform')).toBe(0);
    const transfers = await w.market.listTransfers('cart_r');
    expect(transfers.map((t) => [t.vendorId, t.status, t.amountReversed]).sort()).toEqual([
      ['ann', 'reversed', 1320],
      ['bob', 'reversed', 879],
      ['cat', 'reversed', 881],
    ]);
    // Over both refunds: the vendors gave back what they received, the platform its fees, and the customer got it all.
    const refunds = [partial, full];
    const bore = refunds.flatMap((r) => r.parts ?? []).reduce((s, p) => s + p.vendorBears, 0);
    const platform = refunds.flatMap((r) => r.parts ?? []).reduce((s, p) => s + p.platformBears, 0);
    expect(bore).toBe(cart.vendorAmount);
    expect(platform).toBe(cart.applicationFeeAmount);
    expect(bore + platform).toBe(cart.amount);
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('cart_r')).toMatchObject({ status: 'refunded', amountRefunded: 3500 });
  });

  it('refuses, before Stripe, items on a single-vendor order, a vendor not in the cart or named twice, more than an item has left, and items with amount', async () => {
    const w = await cartWorld();
    await paidCart(w, 'cart_bad');
    const create = vi.spyOn(w.stripe.refunds, 'create');
    const refund = (input: Record<string, unknown>) => w.market.refund({ orderId: 'cart_bad', refundId: 'x', ...input } as never);
    await refused(refund({ items: [{ vendorId: 'zed', amount: 100 }] }), 'INVALID_INPUT', /no item of vendor "zed"/);
    await refused(refund({ items: [{ vendorId: 'ann' }, { vendorId: 'ann' }] }), 'INVALID_INPUT', /twice/);
    await refused(refund({ items: [{ vendorId: 'ann', amount: 1501 }] }), 'REFUND_EXCEEDS_REMAINING', /1500 left/);
    await refused(refund({ amount: 100, items: [{ vendorId: 'ann', amount: 100 }] }), 'INVALID_INPUT', /amount or items/);
    await refused(refund({ items: [] }), 'INVALID_INPUT');
    const single = await w.market.createCheckout({ orderId: 'single', vendorId: 'ann', amount: 2000, currency: 'gbp' });
    await w.stripe.paymentIntents.confirm(single.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://a.example',
    });
    await w.sandbox.flushWebhooks();
    await refused(
      w.market.refund({ orderId: 'single', refundId: 'x', items: [{ vendorId: 'ann', amount: 100 }] }),
      'INVALID_INPUT',
      /items are for carts/,
    );
    expect(create).not.toHaveBeenCalled();
    expect(await w.market.listRefunds('cart_bad')).toEqual([]);
  });

  it("refuses a refund while a vendor's transfer is held (it would have nothing to reverse), and accepts it once paid", async () => {
    const w = await cartWorld(['ann', 'bob']);
    const newbie = await startOnboarding(w, 'cat');
    await paidCart(w, 'cart_wait');
    const create = vi.spyOn(w.stripe.refunds, 'create');
    await refused(w.market.refund({ orderId: 'cart_wait', refundId: 'r1' }), 'ORDER_NOT_REFUNDABLE', /"cat"/);
    // A refund of another vendor's item does not wait for cat's transfer.
    const bob = await w.market.refund({ orderId: 'cart_wait', refundId: 'r2', items: [{ vendorId: 'bob' }] });
    expect(bob).toMatchObject({ amount: 999, status: 'succeeded' });
    expect(bob.transferReversals?.map((m) => [m.vendorId, m.amount])).toEqual([['bob', 879]]);
    expect(create).toHaveBeenCalledTimes(1);
    w.sandbox.completeOnboarding(newbie.accountId);
    await w.sandbox.flushWebhooks();
    const rest = await w.market.refund({ orderId: 'cart_wait', refundId: 'r1' });
    expect(rest.amount).toBe(2501);
    expect(rest.transferReversals?.map((m) => [m.vendorId, m.amount]).sort()).toEqual([
      ['ann', 1320],
      ['cat', 881],
    ]);
  });
});
