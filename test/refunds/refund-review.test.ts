import { describe, expect, it } from 'vitest';
import { isMarketplaceError, type MarketplaceOptions } from '../../src/index.js';
import { completeHostedOnboarding, world } from '../world.js';

// Stripe facts these tests depend on:
// - Three-decimal currencies (BHD, JOD, KWD, OMR, TND): "The API supports three-decimal currencies for the standard
//   payment flows, including Payment Intents, Refunds, and Disputes. However, [...] these API calls require the
//   least-significant (last) digit to be 0." https://docs.stripe.com/currencies#three-decimal
// - Idempotency keys "can be removed after they're at least 24 hours old": https://docs.stripe.com/api/idempotent_requests
// - ISK and UGX are sent as two-decimal amounts that must be divisible by 100: https://docs.stripe.com/currencies#special-cases

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function paidOrder(currency: string, amount: number, options: Partial<MarketplaceOptions> = {}) {
  const w = world(options);
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.sandbox.flushWebhooks();
  const checkout = await w.market.createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount, currency });
  await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  await w.sandbox.flushWebhooks();
  const charge = (await w.stripe.paymentIntents.retrieve(checkout.paymentIntentId)).latest_charge as string;
  return { ...w, accountId, charge, fee: checkout.applicationFeeAmount };
}

describe('market.refund: amounts Stripe refuses for the currency', () => {
  it('a KWD refund whose last digit is not 0 is INVALID_INPUT before Stripe, and nothing is reserved', async () => {
    const w = await paidOrder('kwd', 10_000);
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'INVALID_INPUT')).toBe(true);
    expect((await w.stripe.refunds.list({ charge: w.charge })).data).toHaveLength(0);
    expect(await w.market.getRefund('order_1', 'r1')).toBeNull();
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    const ok = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 9_990 });
    expect(ok).toMatchObject({ status: 'succeeded', amount: 9_990 });
    const rest = await w.market.refund({ orderId: 'order_1', refundId: 'r3' });
    expect(rest.amount).toBe(10);
  });

  it('an ISK refund not divisible by 100 is INVALID_INPUT before Stripe', async () => {
    const w = await paidOrder('isk', 500_000);
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 150 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'INVALID_INPUT')).toBe(true);
    expect((await w.stripe.refunds.list({ charge: w.charge })).data).toHaveLength(0);
    const ok = await w.market.refund({ orderId: 'order_1', refundId: 'r2', amount: 200 });
    expect(ok).toMatchObject({ status: 'succeeded', amount: 200 });
  });

  it('the sandbox refuses a KWD refund whose last digit is not 0, as Stripe does', async () => {
    const w = await paidOrder('kwd', 10_000);
    const error = await w.stripe.refunds.create({ charge: w.charge, amount: 5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    expect((await w.stripe.refunds.create({ charge: w.charge, amount: 10 })).amount).toBe(10);
  });
});

describe('market.refund: a retry after the answer was lost', () => {
  it('a day later, without webhooks, finds the refund Stripe made instead of refunding the customer twice', async () => {
    const w = await paidOrder('gbp', 2000);
    const original = w.stripe.refunds.create.bind(w.stripe.refunds);
    let lost = 1;
    w.stripe.refunds.create = (async (...args: Parameters<typeof original>) => {
      const made = await original(...args);
      if (lost-- > 0) throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      return made;
    }) as typeof original;
    const error = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch((e: unknown) => e);
    expect(isMarketplaceError(error, 'STRIPE_ERROR')).toBe(true);
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ status: 'pending', stripeRefundId: null });
    // The webhooks are not delivered, and Stripe forgets the idempotency key.
    w.sandbox.advanceTime(25 * 3600 * 1000);
    const done = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(done).toMatchObject({ status: 'succeeded', amount: 500 });
    const refunds = (await w.stripe.refunds.list({ charge: w.charge })).data;
    expect(refunds.map((r) => r.amount)).toEqual([500]);
    expect(done.stripeRefundId).toBe(refunds[0]?.id);
    expect(done.transferReversals?.map((m) => m.amount)).toEqual([500]);
    expect(done.feeRefunds?.map((m) => m.amount)).toEqual([60]);
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
  });

  it('a day later, the reversal and the fee refund whose answers were lost are found, not made twice', async () => {
    const w = await paidOrder('gbp', 2000);
    const reverse = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    const refundFee = w.stripe.applicationFees.createRefund.bind(w.stripe.applicationFees);
    let lostReversal = 1;
    let lostFee = 1;
    w.stripe.transfers.createReversal = (async (...args: Parameters<typeof reverse>) => {
      const made = await reverse(...args);
      if (lostReversal-- > 0) throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      return made;
    }) as typeof reverse;
    w.stripe.applicationFees.createRefund = (async (...args: Parameters<typeof refundFee>) => {
      const made = await refundFee(...args);
      if (lostFee-- > 0) throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      return made;
    }) as typeof refundFee;
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch(() => undefined);
    w.sandbox.advanceTime(25 * 3600 * 1000);
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch(() => undefined);
    w.sandbox.advanceTime(25 * 3600 * 1000);
    const done = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    const charge = await w.stripe.charges.retrieve(w.charge);
    const transfer = await w.stripe.transfers.retrieve(charge.transfer as string);
    const fee = await w.stripe.applicationFees.retrieve(charge.application_fee as string);
    // The vendor gives back 440 and the platform returns 60 of its fee: one reversal of 500, one fee refund of 60.
    expect([transfer.amount_reversed, fee.amount_refunded]).toEqual([500, 60]);
    expect(done.transferReversals?.map((m) => m.amount)).toEqual([500]);
    expect(done.feeRefunds?.map((m) => m.amount)).toEqual([60]);
  });

  it('a fee refund whose answer was lost: the retry right after finishes the refund (no idempotency error)', async () => {
    const w = await paidOrder('gbp', 2000);
    const refundFee = w.stripe.applicationFees.createRefund.bind(w.stripe.applicationFees);
    let lost = 1;
    w.stripe.applicationFees.createRefund = (async (...args: Parameters<typeof refundFee>) => {
      const made = await refundFee(...args);
      if (lost-- > 0) throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      return made;
    }) as typeof refundFee;
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 2000 }).catch(() => undefined);
    const done = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 2000 });
    expect(done.transferReversals?.map((m) => m.amount)).toEqual([2000]);
    expect(done.feeRefunds?.map((m) => m.amount)).toEqual([240]);
    expect(w.sandbox.balances().find((b) => b.account === w.accountId)?.available).toBe(0);
  });
});
