import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { proportionalRefund } from '../../src/core/money/refund.js';
import { decideRefund, refundableAmount, releaseRefund, reserveRefund } from '../../src/core/projectors/refund.js';
import type { OrderRecord, RefundRecord } from '../../src/core/records.js';
import { isMarketplaceError } from '../../src/errors.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';

const NOW = 1_800_000_000_000;
const paid = (overrides: Partial<OrderRecord> = {}) =>
  orderRecord('o1', { paymentIntentId: 'pi_1', chargeId: 'ch_1', status: 'succeeded', ...overrides });
const stripeRefund = (overrides: Partial<Stripe.Refund> = {}) =>
  ({
    id: 're_1',
    object: 'refund',
    amount: 500,
    currency: 'gbp',
    status: 'succeeded',
    reason: null,
    failure_reason: null,
    metadata: {},
    payment_intent: 'pi_1',
    ...overrides,
  }) as Stripe.Refund;

describe('reserveRefund / releaseRefund (pure)', () => {
  it('reserves what is asked, refuses more than what is left, and finds its own reservation again', () => {
    const order = paid();
    const first = reserveRefund(order, { refundId: 'r1', amount: 1500 }, proportionalRefund(), NOW);
    expect(first.hold).toMatchObject({ amount: 1500, state: 'reserved' });
    const reserved = first.order as OrderRecord;
    expect(refundableAmount(reserved)).toBe(order.amount - 1500);
    // Reserved is not yet refunded.
    expect(reserved.amountRefunded).toBe(0);
    expect(reserveRefund(reserved, { refundId: 'r1', amount: 1500 }, proportionalRefund(), NOW).order).toBeNull();
    let error: unknown;
    try {
      reserveRefund(reserved, { refundId: 'r2', amount: order.amount - 1500 + 1 }, proportionalRefund(), NOW);
    } catch (e) {
      error = e;
    }
    expect(isMarketplaceError(error, 'REFUND_EXCEEDS_REMAINING')).toBe(true);
    const released = releaseRefund(reserved, 'r1', NOW) as OrderRecord;
    expect(refundableAmount(released)).toBe(order.amount);
    expect(releaseRefund(released, 'r1', NOW)).toBeNull();
  });

  it('refuses an order that is not paid', () => {
    let error: unknown;
    try {
      reserveRefund(paid({ status: 'pending' }), { refundId: 'r1', amount: undefined }, proportionalRefund(), NOW);
    } catch (e) {
      error = e;
    }
    expect(isMarketplaceError(error, 'ORDER_NOT_REFUNDABLE')).toBe(true);
  });
});

describe('decideRefund (pure)', () => {
  it('a refund made elsewhere becomes a record and counts on the order', () => {
    const decision = decideRefund(paid(), null, stripeRefund(), NOW);
    expect(decision.refund).toMatchObject({ refundId: 're_1', source: 'stripe', status: 'succeeded', amount: 500 });
    expect(decision.order).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
  });

  it('a failed refund releases its amount and moves the order back; a late succeeded event changes nothing', () => {
    const order = paid({ amount: 500 });
    const first = decideRefund(order, null, stripeRefund(), NOW);
    const record = first.refund as RefundRecord;
    const refunded = first.order as OrderRecord;
    expect(refunded.status).toBe('refunded');
    const failed = decideRefund(refunded, record, stripeRefund({ status: 'failed', failure_reason: 'lost_or_stolen_card' }), NOW);
    expect(failed.refund).toMatchObject({ status: 'failed', failureReason: 'lost_or_stolen_card' });
    expect(failed.order).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    const late = decideRefund(failed.order as OrderRecord, failed.refund, stripeRefund(), NOW);
    expect(late.refund).toBeNull();
    expect(late.order).toBeNull();
  });

  it('the library refund is opened by its event, whatever came first', () => {
    const reserved = reserveRefund(paid(), { refundId: 'r1', amount: 500 }, proportionalRefund(), NOW).order as OrderRecord;
    const record: RefundRecord = {
      refundId: 'r1',
      orderId: 'o1',
      stripeRefundId: null,
      amount: 500,
      currency: 'gbp',
      status: 'pending',
      reason: null,
      failureReason: null,
      source: 'library',
      createdAt: NOW,
      updatedAt: NOW,
    };
    const decision = decideRefund(reserved, record, stripeRefund({ metadata: { refund_id: 'r1' } }), NOW);
    expect(decision.refund).toMatchObject({ refundId: 'r1', stripeRefundId: 're_1', status: 'succeeded' });
    expect(decision.order).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
    expect(Object.keys(decision.order?.refundHolds ?? {})).toEqual(['r1']);
  });
});
