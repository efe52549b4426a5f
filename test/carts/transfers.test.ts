import type Stripe from 'stripe';
import { describe, expect, it, vi } from 'vitest';
import { envelope, type TransferRecord, VENDOR, type VendorRecord } from '../../src/core/records.js';
import { TRANSFER_CLAIM_MS } from '../../src/index.js';
import type { World } from '../world.js';
import { completeHostedOnboarding } from '../world.js';
import { cartWorld, ITEMS, payCart, startOnboarding, stripeTransfers } from './helpers.js';

// Separate charges and transfers: after the charge succeeds, one transfer per vendor with `source_transaction` set to
// the charge (not the PaymentIntent) and the order's `transfer_group`
// (https://docs.stripe.com/connect/separate-charges-and-transfers, "Create a transfer";
// https://docs.stripe.com/api/transfers/create#create_transfer-source_transaction). A destination without an active
// `transfers` capability is refused; the code `insufficient_capabilities_for_transfer` is the sandbox's copy of Stripe's
// answer (the docs do not list it). Idempotency keys are kept for at least 24 hours, and a request refused in
// validation is not saved under its key (https://docs.stripe.com/api/idempotent_requests).

function byVendor(records: readonly TransferRecord[]): Record<string, Pick<TransferRecord, 'status' | 'amount'>> {
  return Object.fromEntries(records.map((t) => [t.vendorId, { status: t.status, amount: t.amount }]));
}

/** Checks the money of a paid cart at Stripe: one transfer per vendor of its vendor amount, and the sums. */
async function expectSettled(w: World & { accounts: Record<string, string> }, orderId: string) {
  const order = await w.market.getOrder(orderId);
  if (!order) throw new Error(`no order ${orderId}`);
  const transfers = await stripeTransfers(w, orderId);
  expect(transfers).toHaveLength(order.items.length);
  const intent = await w.stripe.paymentIntents.retrieve(order.paymentIntentId as string);
  for (const item of order.items) {
    const made = transfers.filter((t) => t.destination === item.accountId);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      amount: item.vendorAmount,
      currency: order.currency,
      source_transaction: intent.latest_charge,
      transfer_group: orderId,
      metadata: { order_id: orderId, vendor_id: item.vendorId, transfer_id: `${orderId}:${item.vendorId}` },
    });
  }
  const transferred = transfers.reduce((s, t) => s + t.amount, 0);
  expect(transferred).toBe(order.vendorAmount);
  expect(transferred + order.applicationFeeAmount).toBe(order.amount);
  const records = await w.market.listTransfers(orderId);
  expect(records.every((t) => t.status === 'paid' && transfers.some((s) => s.id === t.stripeTransferId))).toBe(true);
  return { order, transfers };
}

describe('cart transfers after the payment', () => {
  it('a three-vendor cart paid: one transfer per vendor, from the charge, and the platform keeps the fees', async () => {
    const w = await cartWorld();
    const create = vi.spyOn(w.stripe.transfers, 'create');
    await payCart(w, 'cart_1');
    expect(await w.market.listTransfers('cart_1')).toEqual([]);
    const delivered = await w.sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);

    await expectSettled(w, 'cart_1');
    expect(create.mock.calls.map((c) => c[1])).toEqual([
      { idempotencyKey: 'transfer:cart_1:ann' },
      { idempotencyKey: 'transfer:cart_1:bob' },
      { idempotencyKey: 'transfer:cart_1:cat' },
    ]);
    // 12 %: 180 + 120 (119.88) + 120 (120.12) = 420 stays on the platform; the rest reached the vendors.
    const balances = Object.fromEntries(w.sandbox.balances().map((b) => [b.account, b.available]));
    expect(balances[w.accounts.ann as string]).toBe(1320);
    expect(balances[w.accounts.bob as string]).toBe(879);
    expect(balances[w.accounts.cat as string]).toBe(881);
    expect(balances.platform).toBe(3500 - 1320 - 879 - 881);
    expect(balances.platform).toBe(420);
    expect(w.sandbox.balances().reduce((s, b) => s + b.available, 0)).toBe(3500);
  });

  it('duplicate and reordered webhooks make each transfer once', async () => {
    const w = await cartWorld(undefined, {}, { duplicate: true, outOfOrder: true });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    await payCart(w, 'cart_dup');
    const delivered = await w.sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);
    expect(delivered.attempts.filter((a) => a.duplicate).length).toBeGreaterThan(0);
    await expectSettled(w, 'cart_dup');
    expect(create).toHaveBeenCalledTimes(3);
    // Every event of the cart delivered again: nothing more is sent.
    for (const event of w.sandbox.events()) await w.market.receiveEvent(event);
    expect(create).toHaveBeenCalledTimes(3);
    expect(await stripeTransfers(w, 'cart_dup')).toHaveLength(3);
  });

  it('a hosted cart: the transfers come from the charge of the PaymentIntent the session created', async () => {
    const w = await cartWorld();
    const cart = await w.market.createCheckout({
      mode: 'hosted',
      orderId: 'cart_hosted',
      currency: 'gbp',
      items: ITEMS,
      successUrl: 'https://market.example/paid',
      cancelUrl: 'https://market.example/cart',
    });
    if (cart.mode !== 'hosted') throw new Error('expected a hosted cart');
    await w.sandbox.payCheckoutSession(cart.sessionId);
    const retrieve = vi.spyOn(w.stripe.paymentIntents, 'retrieve');
    const create = vi.spyOn(w.stripe.transfers, 'create');
    // checkout.session.completed alone: the order knows its PaymentIntent, not its charge, which is read once for
    // the three transfers.
    const completed = w.sandbox.events().find((e) => e.type === 'checkout.session.completed') as Stripe.Event;
    expect(await w.market.receiveEvent(completed)).toMatchObject({ outcome: 'processed' });
    expect(retrieve).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledTimes(3);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(create).toHaveBeenCalledTimes(3);
    await expectSettled(w, 'cart_hosted');
  });

  it('holds the transfer of a vendor who cannot receive transfers, and sends it on the account.updated that says they can', async () => {
    const w = await cartWorld(['ann', 'bob']);
    const newbie = await startOnboarding(w, 'cat');
    await w.sandbox.flushWebhooks();
    await payCart(w, 'cart_held');
    await w.sandbox.flushWebhooks();
    expect(byVendor(await w.market.listTransfers('cart_held'))).toEqual({
      ann: { status: 'paid', amount: 1320 },
      bob: { status: 'paid', amount: 879 },
      cat: { status: 'held', amount: 881 },
    });
    expect(await stripeTransfers(w, 'cart_held')).toHaveLength(2);
    // Nothing is sent while the account cannot receive transfers, however often settlement runs.
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 0, released: 0, skipped: 1 });
    expect(await stripeTransfers(w, 'cart_held')).toHaveLength(2);

    await completeHostedOnboarding(w, newbie.url);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    await expectSettled(w, 'cart_held');
    expect(w.sandbox.balances().find((b) => b.account === newbie.accountId)?.available).toBe(881);
  });

  it('Stripe refusing a destination the stored vendor calls ready holds the transfer; onboarding releases it', async () => {
    const w = await cartWorld(['ann', 'bob']);
    const newbie = await startOnboarding(w, 'cat');
    await w.sandbox.flushWebhooks();
    // The stored vendor is out of date: it says active, the account cannot receive transfers.
    const stale = (await w.market.getVendor('ann')) as VendorRecord;
    await w.market.storage.update(
      'vendor',
      'cat',
      envelope(VENDOR, { ...stale, vendorId: 'cat', accountId: newbie.accountId }),
      {},
    );
    await payCart(w, 'cart_stale');
    await w.sandbox.flushWebhooks();
    const held = (await w.market.listTransfers('cart_stale')).find((t) => t.vendorId === 'cat');
    expect(held).toMatchObject({
      status: 'held',
      lastError: expect.stringMatching(/needs to have at least one of the following capabilities/),
    });
    await completeHostedOnboarding(w, newbie.url);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    await expectSettled(w, 'cart_stale');
  });

  it('a held transfer whose account.updated was missed is released by settleTransfers (the account is re-read)', async () => {
    const w = await cartWorld(['ann', 'bob']);
    const newbie = await startOnboarding(w, 'cat');
    await payCart(w, 'cart_missed');
    await w.sandbox.flushWebhooks();
    expect((await w.market.listTransfers('cart_missed')).find((t) => t.vendorId === 'cat')?.status).toBe('held');
    w.sandbox.completeOnboarding(newbie.accountId); // its account.updated is never delivered
    expect(await w.market.settleTransfers()).toMatchObject({ released: 1, paid: 1 });
    await expectSettled(w, 'cart_missed');
  });

  it('a failed transfer is retried after its backoff by settleTransfers, with the same idempotency key', async () => {
    let now = Date.now();
    const w = await cartWorld(undefined, { now: () => now });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    create.mockRejectedValueOnce(Object.assign(new Error('connection reset'), { type: 'StripeConnectionError' }));
    await payCart(w, 'cart_retry');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const failed = (await w.market.listTransfers('cart_retry')).find((t) => t.vendorId === 'ann');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringMatching(/connection reset/) });
    expect(failed?.nextAttemptAt).toBe(now + 2000);

    expect(await w.market.settleTransfers()).toMatchObject({ paid: 0, skipped: 1 });
    now += 2000;
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 1, skipped: 0 });
    await expectSettled(w, 'cart_retry');
    const keys = create.mock.calls.map((c) => (c[1] as { idempotencyKey: string }).idempotencyKey);
    expect(keys.filter((k) => k === 'transfer:cart_retry:ann')).toHaveLength(2);
  });

  it('Stripe made the transfer but its answer was lost: the next claim finds it at Stripe, nothing is doubled', async () => {
    let now = Date.now();
    const w = await cartWorld(undefined, { now: () => now });
    const real = w.stripe.transfers.create.bind(w.stripe.transfers);
    const create = vi.spyOn(w.stripe.transfers, 'create');
    // Stripe creates bob's transfer, and the answer never reaches the process.
    create.mockImplementation(async (params, options) => {
      const made = await real(params, options);
      if (params.metadata?.vendor_id === 'bob' && create.mock.calls.length <= 3) {
        throw new Error('the connection dropped before the answer');
      }
      return made;
    });
    await payCart(w, 'cart_crash');
    await w.sandbox.flushWebhooks();
    expect(await stripeTransfers(w, 'cart_crash')).toHaveLength(3);
    const stuck = (await w.market.listTransfers('cart_crash')).find((t) => t.vendorId === 'bob');
    expect(stuck).toMatchObject({ status: 'pending', stripeTransferId: null });

    // Two settlement runs at once, past the backoff: one claims bob's transfer, and finds it at Stripe.
    now += TRANSFER_CLAIM_MS + 1;
    const [a, b] = await Promise.all([w.market.settleTransfers(), w.market.settleTransfers()]);
    expect(a.paid + b.paid).toBe(1);
    const { transfers } = await expectSettled(w, 'cart_crash');
    expect(transfers).toHaveLength(3);
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('when the lookup at Stripe does not find it, the retry replays the same idempotency key and Stripe answers with the same transfer', async () => {
    let now = Date.now();
    const w = await cartWorld(undefined, { now: () => now });
    const real = w.stripe.transfers.create.bind(w.stripe.transfers);
    const create = vi.spyOn(w.stripe.transfers, 'create');
    let made: Stripe.Transfer | undefined;
    create.mockImplementation(async (params, options) => {
      const transfer = await real(params, options);
      if (params.metadata?.vendor_id === 'bob' && !made) {
        made = transfer;
        throw new Error('the connection dropped before the answer');
      }
      return transfer;
    });
    await payCart(w, 'cart_key');
    await w.sandbox.flushWebhooks();
    // The list comes back empty (as a list read too early might): only the idempotency key protects the retry.
    const list = vi.spyOn(w.stripe.transfers, 'list').mockResolvedValue({ data: [] } as never);
    now += 60_000;
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 1 });
    expect(list).toHaveBeenCalledTimes(1);
    const keys = create.mock.calls.map((c) => (c[1] as { idempotencyKey: string }).idempotencyKey);
    expect(keys.filter((k) => k === 'transfer:cart_key:bob')).toHaveLength(2);
    const bob = (await w.market.listTransfers('cart_key')).find((t) => t.vendorId === 'bob');
    expect(bob).toMatchObject({ status: 'paid', stripeTransferId: made?.id });
    list.mockRestore();
    expect(await stripeTransfers(w, 'cart_key')).toHaveLength(3);
  });

  it('concurrent settlement runs claim each transfer once', async () => {
    let now = Date.now();
    const w = await cartWorld(undefined, { now: () => now });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    create.mockRejectedValue(Object.assign(new Error('Stripe is down'), { type: 'StripeAPIError' }));
    await payCart(w, 'cart_race');
    await w.sandbox.flushWebhooks();
    expect(create).toHaveBeenCalledTimes(3);
    create.mockRestore();
    const again = vi.spyOn(w.stripe.transfers, 'create');
    now += 60_000;
    const runs = await Promise.all([1, 2, 3, 4].map(() => w.market.settleTransfers()));
    expect(runs.reduce((s, r) => s + r.paid, 0)).toBe(3);
    expect(again).toHaveBeenCalledTimes(3);
    await expectSettled(w, 'cart_race');
  });

  it('a single-vendor order gets no transfer records (its destination charge transfers by itself)', async () => {
    const w = await cartWorld(['ann']);
    const create = vi.spyOn(w.stripe.transfers, 'create');
    const checkout = await w.market.createCheckout({ orderId: 'single', vendorId: 'ann', amount: 2000, currency: 'gbp' });
    await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    await w.sandbox.flushWebhooks();
    expect(await w.market.listTransfers('single')).toEqual([]);
    expect(create).not.toHaveBeenCalled();
  });
});
