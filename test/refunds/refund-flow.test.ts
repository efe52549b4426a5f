import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  isMarketplaceError,
  type MarketplaceOptions,
  platformBearsRefund,
  platformKeepsFee,
  proportionalRefund,
} from '../../src/index.js';
import { envelope, ORDER, type OrderRecord } from '../../src/core/records.js';
import { completeHostedOnboarding, world } from '../world.js';

// Stripe facts these tests depend on:
// - A refund with neither `reverse_transfer` nor `refund_application_fee` takes the whole amount from the platform
//   (the merchant of record of a destination charge): https://docs.stripe.com/connect/destination-charges
// - A destination charge's transfer can be reversed up to the charge amount, whatever the connected account's
//   balance: https://docs.stripe.com/api/transfer_reversals
// - An application fee refund returns the fee to the connected account: https://docs.stripe.com/api/fee_refunds
// - `reverse_transfer` and `refund_application_fee` are proportional on a partial refund, without a documented
//   rounding rule (stripe-node's RefundCreateParams, https://docs.stripe.com/api/refunds/create); so the library
//   sends explicit amounts instead.

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function paidOrder(options: Partial<MarketplaceOptions> = {}, amount = 2000) {
  const w = world(options);
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.sandbox.flushWebhooks();
  const checkout = await w.market.createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount, currency: 'gbp' });
  await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  await w.sandbox.flushWebhooks();
  const charge = (await w.stripe.paymentIntents.retrieve(checkout.paymentIntentId)).latest_charge as string;
  return { ...w, accountId, charge, fee: checkout.applicationFeeAmount };
}

type Paid = Awaited<ReturnType<typeof paidOrder>>;

function balance(w: Paid, account: string): number {
  return w.sandbox.balances().find((b) => b.account === account)?.available ?? 0;
}

/** What Stripe holds about the charge's money: refunded, reversed, and the fee refunded. */
async function stripeTotals(w: Paid) {
  const charge = await w.stripe.charges.retrieve(w.charge);
  const transfer = await w.stripe.transfers.retrieve(charge.transfer as string);
  const fee = await w.stripe.applicationFees.retrieve(charge.application_fee as string);
  return {
    refunded: charge.amount_refunded,
    reversed: transfer.amount_reversed,
    feeRefunded: fee.amount_refunded,
    transferred: transfer.amount,
    fee: fee.amount,
  };
}

describe('market.refund against the sandbox', () => {
  it('default policy: partial then full refunds move the vendor share and the fee in proportion, adding up exactly', async () => {
    const w = await paidOrder({}, 2001); // fee 12 % of 2001 = 240.12 -> 240; vendor 1761
    expect(w.fee).toBe(240);
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240, 1761]);

    const first = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 333 });
    // Vendor bears round_half_up(1761 * 333 / 2001) = 293.06 -> 293; fee returned 40.
    expect(first).toMatchObject({ status: 'succeeded', amount: 333, source: 'library' });
    expect(first.parts).toEqual([{ vendorId: 'driver_42', amount: 333, vendorBears: 293, platformBears: 40, feeReturned: 40 }]);
    expect(first.transferReversals?.map((m) => m.amount)).toEqual([333]);
    expect(first.feeRefunds?.map((m) => m.amount)).toEqual([40]);
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240 - 40, 1761 - 293]);

    const second = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 1 });
    const rest = await w.market.refund({ orderId: 'order_1', refundId: 'r3' });
    expect(rest.amount).toBe(2001 - 334);
    const parts = [first, second, rest].map((r) => r.parts?.[0]);
    expect(parts.reduce((s, p) => s + (p?.vendorBears ?? 0), 0)).toBe(1761);
    expect(parts.reduce((s, p) => s + (p?.feeReturned ?? 0), 0)).toBe(240);
    expect(await stripeTotals(w)).toEqual({ refunded: 2001, reversed: 2001, feeRefunded: 240, transferred: 2001, fee: 240 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([0, 0]);

    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'refunded', amountRefunded: 2001 });
    expect((await w.market.listRefunds('order_1')).map((r) => r.refundId).sort()).toEqual(['r1', 'r2', 'r3']);
  });

  it('platformKeepsFee: the vendor bears the whole refund and the platform keeps its fee', async () => {
    const w = await paidOrder({ refundPolicy: platformKeepsFee() });
    const partial = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(partial.parts?.[0]).toMatchObject({ vendorBears: 500, feeReturned: 0, platformBears: 0 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240, 1760 - 500]);
    await w.market.refund({ orderId: 'order_1', refundId: 'r2' });
    expect(await stripeTotals(w)).toEqual({ refunded: 2000, reversed: 2000, feeRefunded: 0, transferred: 2000, fee: 240 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240, -240]);
  });

  it('platformBearsRefund: nothing is taken from the vendor and no fee is returned', async () => {
    const w = await paidOrder({ refundPolicy: platformBearsRefund() });
    const partial = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(partial.parts?.[0]).toMatchObject({ vendorBears: 0, feeReturned: 0, platformBears: 500 });
    expect(partial.transferReversals).toEqual([]);
    await w.market.refund({ orderId: 'order_1', refundId: 'r2' });
    expect(await stripeTotals(w)).toEqual({ refunded: 2000, reversed: 0, feeRefunded: 0, transferred: 2000, fee: 240 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240 - 2000, 1760]);
  });

  it('the same call twice is one refund; the same refundId with other terms is REFUND_CONFLICT', async () => {
    const w = await paidOrder({ refundPolicy: proportionalRefund() });
    const a = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 700, reason: 'requested_by_customer' });
    const b = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 700, reason: 'requested_by_customer' });
    expect(b.stripeRefundId).toBe(a.stripeRefundId);
    expect((await w.stripe.refunds.list({ charge: w.charge })).data).toHaveLength(1);
    expect((await stripeTotals(w)).refunded).toBe(700);
    for (const other of [{ amount: 701 }, { amount: 700, reason: 'duplicate' as const }, { amount: 700, metadata: { a: 'b' } }]) {
      const error = await w.market
        .refund({ orderId: 'order_1', refundId: 'r1', reason: 'requested_by_customer', ...other })
        .catch((e: unknown) => e);
      expect(isMarketplaceError(error, 'REFUND_CONFLICT')).toBe(true);
    }
  });

  it('refuses an over-refund before Stripe is called, and bad input with INVALID_INPUT', async () => {
    const w = await paidOrder();
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1500 });
    let requests = 0;
    w.stripe.on('request', () => {
      requests++;
    });
    const over = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 501 }).catch((e: unknown) => e);
    expect(isMarketplaceError(over, 'REFUND_EXCEEDS_REMAINING')).toBe(true);
    expect((over as { details?: unknown }).details).toMatchObject({ remaining: 500, amount: 501 });
    expect(requests).toBe(0);
    expect((await w.stripe.refunds.list({ charge: w.charge })).data).toHaveLength(1);
    await w.market.refund({ orderId: 'order_1', refundId: 'r3' });
    const none = await w.market.refund({ orderId: 'order_1', refundId: 'r4' }).catch((e: unknown) => e);
    expect(isMarketplaceError(none, 'REFUND_EXCEEDS_REMAINING')).toBe(true);
    for (const bad of [
      { amount: 0 },
      { amount: 1.5 },
      { refundId: '' },
      { refundId: 'x'.repeat(41) },
      { metadata: { order_id: 'x' } },
    ]) {
      const error = await w.market.refund({ orderId: 'order_1', refundId: 'r9', ...bad }).catch((e: unknown) => e);
      expect(isMarketplaceError(error, 'INVALID_INPUT')).toBe(true);
    }
    const missing = await w.market.refund({ orderId: 'nope', refundId: 'r1' }).catch((e: unknown) => e);
    expect(isMarketplaceError(missing, 'ORDER_NOT_FOUND')).toBe(true);
  });

  it('a refund that fails gives its amount back, moves the order back, and returns the vendor what they bore', async () => {
    const w = await paidOrder();
    const refund = await w.market.refund({ orderId: 'order_1', refundId: 'r1' });
    await w.sandbox.flushWebhooks();
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'refunded', amountRefunded: 2000 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([0, 0]);

    const seen: string[] = [];
    w.market.on('refund.failed', (_event, { refund: record }) => {
      seen.push(`${record?.refundId}:${record?.status}`);
    });
    w.sandbox.failRefund(refund.stripeRefundId as string, 'expired_or_canceled_card');
    const delivered = await w.sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);
    expect(seen).toEqual(['r1:failed']);
    const record = await w.market.getRefund('order_1', 'r1');
    expect(record).toMatchObject({ status: 'failed', failureReason: 'expired_or_canceled_card' });
    expect(record?.restores?.map((m) => m.amount)).toEqual([1760]);
    // The only refund failed: the order is paid again, with nothing refunded, and everyone stands as before it.
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([240, 1760]);
    // What failed can be refunded again.
    const again = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 2000 });
    expect(again.status).toBe('succeeded');
    // The fee was already refunded by the failed refund, so the vendor keeps that part of the reversal instead.
    expect(again.feeRefunds).toEqual([]);
    expect(again.transferReversals?.reduce((s, m) => s + m.amount, 0)).toBe(1760);
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([0, 0]);
  });

  it('a refund Stripe refuses releases its reservation', async () => {
    const w = await paidOrder();
    // A refund made in the Dashboard that the library has not heard of yet: Stripe refuses the library's refund.
    await w.stripe.refunds.create({ charge: w.charge, amount: 1500 });
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1000 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'STRIPE_ERROR')).toBe(true);
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ status: 'failed', stripeRefundId: null });
    await w.sandbox.flushWebhooks();
    // The Dashboard refund is a record of its own, and 500 is left.
    const refunds = await w.market.listRefunds('order_1');
    expect(refunds.find((r) => r.source === 'stripe')).toMatchObject({ amount: 1500, status: 'succeeded' });
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'partially_refunded', amountRefunded: 1500 });
    const rest = await w.market.refund({ orderId: 'order_1', refundId: 'r2' });
    expect(rest.amount).toBe(500);
  });

  it('refunds a hosted order whose PaymentIntent the order does not know yet', async () => {
    const w = world();
    const { url, accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    await completeHostedOnboarding(w, url);
    await w.sandbox.flushWebhooks();
    const checkout = await w.market.createCheckout({
      mode: 'hosted',
      orderId: 'order_h',
      vendorId: 'driver_42',
      currency: 'gbp',
      lineItems: [{ name: 'Ride', unitAmount: 1000, quantity: 2 }],
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    });
    await w.sandbox.payCheckoutSession(checkout.sessionId);
    // Before the webhooks arrive the order is pending: nothing to refund yet.
    const early = await w.market.refund({ orderId: 'order_h', refundId: 'r1', amount: 500 }).catch((e: unknown) => e);
    expect(isMarketplaceError(early, 'ORDER_NOT_REFUNDABLE')).toBe(true);
    await w.sandbox.flushWebhooks();
    // A paid hosted order stored without its PaymentIntent and charge (as an order stored by an older version is).
    const stored = await w.market.storage.get<OrderRecord>(ORDER.kind, 'order_h');
    if (!stored) throw new Error('order_h is not stored');
    const bare = { ...stored.data, paymentIntentId: null, chargeId: null };
    await w.market.storage.update(ORDER.kind, 'order_h', envelope(ORDER, bare), { version: stored.version });
    const refund = await w.market.refund({ orderId: 'order_h', refundId: 'r1', amount: 500 });
    expect(refund).toMatchObject({ status: 'succeeded', amount: 500 });
    expect(refund.parts?.[0]).toMatchObject({ vendorBears: 440, feeReturned: 60 });
    expect(w.sandbox.balances().find((b) => b.account === accountId)?.available).toBe(1760 - 440);
    // The order learnt its PaymentIntent and charge from Stripe.
    const order = await w.market.getOrder('order_h');
    expect(order?.paymentIntentId).toMatch(/^pi_/);
    expect(order?.chargeId).toMatch(/^ch_/);
  });

  it('50 concurrent callers on one order refund exactly what is left, never more', async () => {
    const w = await paidOrder();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => w.market.refund({ orderId: 'order_1', refundId: `c${i}`, amount: 150 })),
    );
    const ok = results.filter(
      (r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof w.market.refund>>> => r.status === 'fulfilled',
    );
    const refused = results.filter((r) => r.status === 'rejected' && isMarketplaceError(r.reason, 'REFUND_EXCEEDS_REMAINING'));
    expect(ok).toHaveLength(13); // 13 * 150 = 1950 <= 2000 < 14 * 150
    expect(refused).toHaveLength(37);
    const stripeRefunds: Stripe.Refund[] = (await w.stripe.refunds.list({ charge: w.charge, limit: 100 })).data;
    expect(stripeRefunds.reduce((s, r) => s + r.amount, 0)).toBe(1950);
    const last = await w.market.refund({ orderId: 'order_1', refundId: 'last' });
    expect(last.amount).toBe(50);
    expect(await stripeTotals(w)).toEqual({ refunded: 2000, reversed: 2000, feeRefunded: 240, transferred: 2000, fee: 240 });
  });

  it('a retry after a crash between steps finishes the refund once: one refund, one reversal, one fee refund', async () => {
    const w = await paidOrder();
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let failures = 1;
    w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(new Error('connection lost'));
      return original(...args);
    }) as typeof original;
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'STRIPE_ERROR')).toBe(true);
    // Stripe made the refund; the reversal did not happen yet.
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ status: 'succeeded', transferReversals: [] });
    expect(await stripeTotals(w)).toMatchObject({ refunded: 500, reversed: 0, feeRefunded: 0 });
    const done = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(done.transferReversals?.map((m) => m.amount)).toEqual([500]);
    expect(done.feeRefunds?.map((m) => m.amount)).toEqual([60]);
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(await stripeTotals(w)).toMatchObject({ refunded: 500, reversed: 500, feeRefunded: 60 });
    expect((await w.stripe.refunds.list({ charge: w.charge })).data).toHaveLength(1);
  });

  it('when Stripe cannot be reached the reservation stays, and the same call later makes the one refund', async () => {
    const w = await paidOrder();
    const original = w.stripe.refunds.create.bind(w.stripe.refunds);
    let failures = 1;
    w.stripe.refunds.create = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(Object.assign(new Error('timeout'), { type: 'StripeConnectionError' }));
      return original(...args);
    }) as typeof original;
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1500 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'STRIPE_ERROR')).toBe(true);
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ status: 'pending', stripeRefundId: null });
    // The 1500 stays reserved: another refund cannot take it meanwhile.
    const other = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 501 }).catch((e: unknown) => e);
    expect(isMarketplaceError(other, 'REFUND_EXCEEDS_REMAINING')).toBe(true);
    const done = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1500 });
    expect(done).toMatchObject({ status: 'succeeded', amount: 1500 });
    expect((await stripeTotals(w)).refunded).toBe(1500);
  });

  it('lists and reads refund records, and validates their ids', async () => {
    const w = await paidOrder();
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 100, metadata: { ticket: 't-1' } });
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ metadata: { ticket: 't-1' }, reason: null });
    expect(await w.market.getRefund('order_1', 'nope')).toBeNull();
    expect(await w.market.listRefunds('order_1')).toHaveLength(1);
    const refund = (await w.stripe.refunds.list({ charge: w.charge })).data[0];
    expect(refund?.metadata).toEqual({ ticket: 't-1', order_id: 'order_1', refund_id: 'r1' });
    const bad = await w.market.listRefunds('').catch((e: unknown) => e);
    expect(isMarketplaceError(bad, 'INVALID_INPUT')).toBe(true);
  });

  it('when market.refund stopped after the refund and is not called again, refund.created finishes the steps', async () => {
    const w = await paidOrder();
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let failures = 1;
    w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(new Error('process stopped'));
      return original(...args);
    }) as typeof original;
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch(() => undefined);
    const delivered = await w.sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);
    const record = await w.market.getRefund('order_1', 'r1');
    expect(record?.transferReversals?.map((m) => m.amount)).toEqual([500]);
    expect(record?.feeRefunds?.map((m) => m.amount)).toEqual([60]);
    expect(await stripeTotals(w)).toMatchObject({ refunded: 500, reversed: 500, feeRefunded: 60 });
    // A later retry finds everything done and moves nothing twice.
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(await stripeTotals(w)).toMatchObject({ refunded: 500, reversed: 500, feeRefunded: 60 });
    expect([balance(w, 'platform'), balance(w, w.accountId)]).toEqual([180, 1320]);
  });
});
