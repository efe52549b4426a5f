import type Stripe from 'stripe';
import { describe, expect, it, vi } from 'vitest';
import { type DisputeRecord, envelope, TRANSFER, type TransferRecord } from '../../src/core/records.js';
import { vendorBearsDisputes } from '../../src/index.js';
import { completeHostedOnboarding } from '../world.js';
import { cartWorld, ITEMS, payCart, startOnboarding, stripeTransfers } from './helpers.js';

// Separate charges and transfers: the platform creates each transfer itself, after the charge
// (https://docs.stripe.com/connect/separate-charges-and-transfers); a refund of the charge does not touch the
// transfers, so a transfer not made yet must not be made for money the customer got back.

describe('cart transfers of a cart refunded before they are made', () => {
  it('a held transfer of a cart refunded in full (in the Dashboard) is never sent, even once the vendor is ready', async () => {
    const w = await cartWorld(['ann', 'bob']);
    const newbie = await startOnboarding(w, 'cat');
    await w.sandbox.flushWebhooks();
    const cart = await payCart(w, 'cart_gone');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await w.market.listTransfers('cart_gone')).find((t) => t.vendorId === 'cat')?.status).toBe('held');

    await w.stripe.refunds.create({ payment_intent: cart.paymentIntentId });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await w.market.getOrder('cart_gone'))?.status).toBe('refunded');

    const create = vi.spyOn(w.stripe.transfers, 'create');
    await completeHostedOnboarding(w, newbie.url);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 0, failed: 0 });
    expect(create).not.toHaveBeenCalled();
    expect((await w.market.listTransfers('cart_gone')).find((t) => t.vendorId === 'cat')).toMatchObject({
      status: 'failed',
      stripeTransferId: null,
      lastError: expect.stringMatching(/refunded in full/),
    });
    // The vendors paid before the refund keep their transfers; the platform bears the refund.
    const made = await stripeTransfers(w, 'cart_gone');
    expect(made.filter((t) => t.destination === newbie.accountId)).toEqual([]);
    expect(w.sandbox.balances().find((b) => b.account === newbie.accountId)?.available ?? 0).toBe(0);
  });

  it('a pending transfer waiting for its retry is not sent once its cart is refunded in full', async () => {
    let now = Date.now();
    const w = await cartWorld(undefined, { now: () => now });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    create.mockRejectedValueOnce(Object.assign(new Error('connection reset'), { type: 'StripeConnectionError' }));
    const cart = await payCart(w, 'cart_retry_gone');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await w.market.listTransfers('cart_retry_gone')).find((t) => t.vendorId === 'ann')?.status).toBe('pending');
    await w.stripe.refunds.create({ payment_intent: cart.paymentIntentId });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    now += 60_000;
    create.mockClear();
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 0, failed: 0, canceled: 1 });
    expect(create).not.toHaveBeenCalled();
    expect((await w.market.listTransfers('cart_retry_gone')).find((t) => t.vendorId === 'ann')?.status).toBe('failed');
    // Nothing is left due: the next runs do nothing.
    now += 3_600_000;
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 0, failed: 0, canceled: 0, skipped: 0 });
  });

  it('a transfer Stripe made whose answer was lost is recorded paid, not canceled, when the cart is then refunded in full', async () => {
    let now = Date.now();
    const w = await cartWorld(['ann'], { now: () => now });
    const real = w.stripe.transfers.create.bind(w.stripe.transfers);
    const create = vi.spyOn(w.stripe.transfers, 'create');
    create.mockImplementationOnce(async (params, options) => {
      await real(params, options);
      throw Object.assign(new Error('the connection dropped before the answer'), { type: 'StripeConnectionError' });
    });
    const cart = await payCart(w, 'cart_lost_answer', [{ vendorId: 'ann', amount: 1000, description: 'Pot' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const [made] = await stripeTransfers(w, 'cart_lost_answer');
    expect((await w.market.listTransfers('cart_lost_answer'))[0]).toMatchObject({ status: 'pending', stripeTransferId: null });
    await w.stripe.refunds.create({ payment_intent: cart.paymentIntentId });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    now += 60_000;
    expect(await w.market.settleTransfers()).toMatchObject({ paid: 1, canceled: 0 });
    expect((await w.market.listTransfers('cart_lost_answer'))[0]).toMatchObject({ status: 'paid', stripeTransferId: made?.id });
    expect(create).toHaveBeenCalledTimes(1);
  });
});

// `settleTransfers({ limit })` reads transfers newest first; transfers that are not due (in their backoff, or held for
// a vendor who still cannot receive transfers) must not hide older ones that are due.
describe('settleTransfers does not let transfers that are not due hide older ones that are', () => {
  it('older due pending transfers are sent even when the newest `limit` pending ones wait for their backoff', async () => {
    let now = Date.now();
    const w = await cartWorld(['ann'], { now: () => now });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    const reset = () => Object.assign(new Error('connection reset'), { type: 'StripeConnectionError' });
    create.mockRejectedValueOnce(reset());
    await payCart(w, 'cart_old', [{ vendorId: 'ann', amount: 1000, description: 'Old' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    now += 1500;
    create.mockRejectedValueOnce(reset()).mockRejectedValueOnce(reset());
    await payCart(w, 'cart_new1', [{ vendorId: 'ann', amount: 1000, description: 'New 1' }]);
    await payCart(w, 'cart_new2', [{ vendorId: 'ann', amount: 1000, description: 'New 2' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    // cart_old's retry is due (2 s after its failure); the two newer ones wait until 2 s after theirs.
    now += 1000;
    expect(await w.market.settleTransfers({ limit: 2 })).toMatchObject({ paid: 1, skipped: 2 });
    expect((await w.market.listTransfers('cart_old'))[0]?.status).toBe('paid');
    expect((await stripeTransfers(w, 'cart_old')).map((t) => t.amount)).toEqual([880]);
  });

  it('an older held transfer whose vendor is now ready is released even when the newest `limit` held ones are not', async () => {
    const w = await cartWorld(['ann']);
    const cat = await startOnboarding(w, 'cat');
    await startOnboarding(w, 'dan');
    await w.sandbox.flushWebhooks();
    await payCart(w, 'cart_cat', [{ vendorId: 'cat', amount: 1000, description: 'Cat' }]);
    await payCart(w, 'cart_dan', [{ vendorId: 'dan', amount: 1000, description: 'Dan' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    w.sandbox.completeOnboarding(cat.accountId); // its account.updated is never delivered
    expect(await w.market.settleTransfers({ limit: 1 })).toMatchObject({ released: 1, paid: 1, skipped: 1 });
    expect((await w.market.listTransfers('cart_cat'))[0]?.status).toBe('paid');
    expect((await w.market.listTransfers('cart_dan'))[0]?.status).toBe('held');
  });
});

// A dispute on a cart: Stripe debits the platform and leaves the transfers alone; the platform takes the vendors'
// shares back by reversing their transfers (https://docs.stripe.com/disputes/connect,
// https://docs.stripe.com/connect/separate-charges-and-transfers). pm_card_createDispute opens a chargeback at once
// (https://docs.stripe.com/testing#disputes).
describe('a dispute on a cart whose vendor transfer is held', () => {
  it('is recorded and handled at once; the held vendor’s share is reversed once its transfer is made', async () => {
    const w = await cartWorld(['ann', 'bob'], { disputePolicy: vendorBearsDisputes() });
    const cat = await startOnboarding(w, 'cat');
    await w.sandbox.flushWebhooks();
    let handled = 0;
    w.market.on('charge.dispute.created', async () => {
      handled++;
    });
    const cart = await payCart(w, 'cart_disputed_held', ITEMS, 'pm_card_createDispute');
    const paid = cart.intent;
    const [dispute] = (await w.stripe.disputes.list({ charge: paid.latest_charge as string })).data;
    const disputeId = (dispute as Stripe.Dispute).id;
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(handled).toBe(1);
    expect((await w.market.getOrder('cart_disputed_held'))?.dispute).toMatchObject({ id: disputeId });
    const moves = async () => (await w.market.storage.get<DisputeRecord>('dispute', disputeId))?.data.moves ?? [];
    expect((await moves()).map((m) => [m.vendorId, m.reversal.status])).toEqual([
      ['ann', 'done'],
      ['bob', 'done'],
      ['cat', 'pending'],
    ]);

    await completeHostedOnboarding(w, cat.url);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const catTransfer = (await w.market.listTransfers('cart_disputed_held')).find((t) => t.vendorId === 'cat');
    expect(catTransfer).toMatchObject({ status: 'paid', amount: 881 });

    w.sandbox.closeDispute(disputeId, 'lost');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const catMove = (await moves()).find((m) => m.vendorId === 'cat');
    expect(catMove?.reversal.status).toBe('done');
    const reversals = (await w.stripe.transfers.listReversals(catTransfer?.stripeTransferId as string)).data;
    expect(reversals.map((r) => r.amount)).toEqual([catMove?.amount]);
    // Each vendor gave back its share; with the platform's fees the shares make the disputed amount.
    const all = await moves();
    expect(all.reduce((s, m) => s + m.amount, 0) + cart.applicationFeeAmount).toBe(3500);
    for (const vendorId of ['ann', 'bob']) {
      expect(w.sandbox.balances().find((b) => b.account === w.accounts[vendorId])?.available ?? 0).toBe(0);
    }
    expect(w.sandbox.balances().find((b) => b.account === cat.accountId)?.available ?? 0).toBe(0);
  });
});

describe('settleTransfers walks more than one page of transfers', () => {
  it('an older due transfer is sent behind 1200 newer pending ones that are not due', async () => {
    let now = Date.now();
    const w = await cartWorld(['ann'], { now: () => now });
    const create = vi.spyOn(w.stripe.transfers, 'create');
    create.mockRejectedValueOnce(Object.assign(new Error('connection reset'), { type: 'StripeConnectionError' }));
    await payCart(w, 'cart_behind', [{ vendorId: 'ann', amount: 1000, description: 'Pot' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const due = (await w.market.listTransfers('cart_behind'))[0] as TransferRecord;
    for (let i = 1; i <= 1200; i++) {
      const record: TransferRecord = {
        ...due,
        transferId: `cart_wait_${i}:ann`,
        orderId: `cart_wait_${i}`,
        transferGroup: `cart_wait_${i}`,
        createdAt: now + i,
        nextAttemptAt: now + 3_600_000,
      };
      await w.market.storage.insert(envelope(TRANSFER, record));
    }
    now += 10_000;
    expect(await w.market.settleTransfers({ limit: 1 })).toMatchObject({ paid: 1, skipped: 1200 });
    expect((await w.market.listTransfers('cart_behind'))[0]?.status).toBe('paid');
  });
});

describe("a vendor's account.updated releases its held transfers", () => {
  it('even behind 1200 newer held transfers of other vendors', async () => {
    const w = await cartWorld(['ann']);
    const cat = await startOnboarding(w, 'cat');
    await w.sandbox.flushWebhooks();
    await payCart(w, 'cart_cat_old', [{ vendorId: 'cat', amount: 1000, description: 'Pot' }]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const held = (await w.market.listTransfers('cart_cat_old'))[0] as TransferRecord;
    expect(held.status).toBe('held');
    for (let i = 1; i <= 1200; i++) {
      const record: TransferRecord = {
        ...held,
        transferId: `cart_other_${i}:dan`,
        orderId: `cart_other_${i}`,
        vendorId: 'dan',
        accountId: 'acct_dan',
        transferGroup: `cart_other_${i}`,
        createdAt: held.createdAt + i,
      };
      await w.market.storage.insert(envelope(TRANSFER, record));
    }
    await completeHostedOnboarding(w, cat.url);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await w.market.listTransfers('cart_cat_old'))[0]).toMatchObject({ status: 'paid', amount: 880 });
  });
});

// Zero-decimal (JPY) and three-decimal (KWD: the last digit must be 0) amounts, and ISK (multiples of 100)
// (https://docs.stripe.com/currencies): a cart with odd item amounts, a partial refund spread over its items, then the
// rest; every split adds up, and at the end every transfer is reversed in full and every balance is back to zero.
describe('the sums of a cart in zero- and three-decimal currencies', () => {
  for (const [currency, amounts, first] of [
    ['kwd', [1010, 2330, 3070], 1230],
    ['jpy', [1001, 333, 777], 1001],
    ['isk', [10100, 23300, 30700], 12300],
  ] as const) {
    it(`${currency.toUpperCase()}: items, fees, transfers, refunds and reversals add up`, async () => {
      const w = await cartWorld();
      const orderId = `cart_sums_${currency}`;
      const cart = await w.market.createCheckout({
        orderId,
        currency,
        items: [
          { vendorId: 'ann', amount: amounts[0] },
          { vendorId: 'bob', amount: amounts[1] },
          { vendorId: 'cat', amount: amounts[2] },
        ],
      });
      if (cart.mode !== 'embedded') throw new Error('expected an embedded cart');
      const total = amounts[0] + amounts[1] + amounts[2];
      expect(cart.amount).toBe(total);
      for (const item of cart.items) expect(item.applicationFeeAmount + item.vendorAmount).toBe(item.amount);
      expect(cart.applicationFeeAmount + cart.vendorAmount).toBe(total);
      await w.stripe.paymentIntents.confirm(cart.paymentIntentId, {
        payment_method: 'pm_card_visa',
        return_url: 'https://market.example/paid',
      });
      expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
      const made = await stripeTransfers(w, orderId);
      expect(made.reduce((s, t) => s + t.amount, 0)).toBe(cart.vendorAmount);

      const refunds = [
        await w.market.refund({ orderId, refundId: 'r1', amount: first }),
        await w.market.refund({ orderId, refundId: 'r2' }),
      ];
      expect(refunds.map((r) => r.amount)).toEqual([first, total - first]);
      for (const refund of refunds) {
        expect(refund.status).toBe('succeeded');
        const parts = refund.parts ?? [];
        expect(parts.reduce((s, p) => s + p.amount, 0)).toBe(refund.amount);
        for (const part of parts) expect(part.vendorBears + part.platformBears).toBe(part.amount);
        const reversed = refund.transferReversals ?? [];
        for (const part of parts) {
          expect(reversed.find((r) => r.vendorId === part.vendorId)?.amount).toBe(part.vendorBears);
        }
      }
      const transfers = await w.market.listTransfers(orderId);
      expect(transfers.every((t) => t.status === 'reversed' && t.amountReversed === t.amount)).toBe(true);
      for (const balance of w.sandbox.balances().filter((b) => b.currency === currency)) expect(balance.available).toBe(0);
    });
  }
});
