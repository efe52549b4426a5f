import fc from 'fast-check';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { decideDispute } from '../../src/core/projectors/dispute.js';
import {
  decideChargeRefunded,
  decideCheckoutSession,
  decidePaymentIntent,
  moveOrder,
} from '../../src/core/projectors/payment.js';
import { decideAccountState, decideDeauthorized } from '../../src/core/projectors/vendor.js';
import type { OrderRecord, OrderStatus } from '../../src/core/records.js';
import { ORDER_TRANSITIONS, canTransition, disputeMayMove, DISPUTE_STAGE } from '../../src/core/transitions.js';
import { orderRecord, vendorRecord, vendorState } from '../../src/testing/conformance/fixtures.js';

const NOW = 1_800_000_000_000;
const order = (overrides: Partial<OrderRecord> = {}) => orderRecord('o1', { paymentIntentId: 'pi_1', ...overrides });
const intent = (overrides: Partial<Stripe.PaymentIntent> = {}) =>
  ({
    id: 'pi_1',
    object: 'payment_intent',
    status: 'succeeded',
    latest_charge: 'ch_1',
    last_payment_error: null,
    ...overrides,
  }) as Stripe.PaymentIntent;
const decline = {
  code: 'card_declined',
  decline_code: 'generic_decline',
  message: 'Your card was declined.',
} as Stripe.PaymentIntent.LastPaymentError;
const STATUSES = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];

describe('decidePaymentIntent (pure)', () => {
  it('moves a pending order to succeeded, records the charge, and clears an earlier decline', () => {
    const failed = order({
      status: 'failed',
      lastPaymentError: { code: 'card_declined', declineCode: 'generic_decline', message: 'x' },
    });
    const decision = decidePaymentIntent(failed, 'payment_intent.succeeded', intent(), NOW);
    expect(decision).toMatchObject({
      kind: 'write',
      order: { status: 'succeeded', chargeId: 'ch_1', lastPaymentError: null, updatedAt: NOW },
    });
  });

  it('never moves an order backwards, whatever the event order', () => {
    for (const status of STATUSES) {
      for (const type of ['payment_intent.succeeded', 'payment_intent.canceled'] as const) {
        const to = type === 'payment_intent.succeeded' ? 'succeeded' : 'canceled';
        const decision = decidePaymentIntent(order({ status }), type, intent(), NOW);
        expect(decision.kind === 'write', `${status} -> ${to}`).toBe(canTransition(status, to));
      }
    }
  });

  it('records a new decline on an order that failed before (failed -> failed)', () => {
    const decision = decidePaymentIntent(
      order({ status: 'failed' }),
      'payment_intent.payment_failed',
      intent({ status: 'requires_payment_method', last_payment_error: decline }),
      NOW,
    );
    expect(decision).toMatchObject({
      kind: 'write',
      order: { status: 'failed', lastPaymentError: { declineCode: 'generic_decline' } },
    });
  });

  it('asks for the PaymentIntent to be re-read between processing and failed, and follows what Stripe confirms', () => {
    const processing = order({ status: 'processing' });
    const event = intent({ status: 'requires_payment_method', last_payment_error: decline });
    expect(decidePaymentIntent(processing, 'payment_intent.payment_failed', event, NOW)).toEqual({
      kind: 'confirm',
      paymentIntentId: 'pi_1',
    });
    expect(
      decidePaymentIntent(processing, 'payment_intent.payment_failed', event, NOW, intent({ status: 'processing' })).kind,
    ).toBe('none');
    expect(
      decidePaymentIntent(
        processing,
        'payment_intent.payment_failed',
        event,
        NOW,
        intent({ status: 'requires_payment_method', last_payment_error: decline }),
      ),
    ).toMatchObject({ kind: 'write', order: { status: 'failed' } });
    const failed = order({ status: 'failed' });
    expect(decidePaymentIntent(failed, 'payment_intent.processing', intent({ status: 'processing' }), NOW)).toEqual({
      kind: 'confirm',
      paymentIntentId: 'pi_1',
    });
    expect(
      decidePaymentIntent(failed, 'payment_intent.processing', intent(), NOW, intent({ status: 'processing' })),
    ).toMatchObject({
      kind: 'write',
      order: { status: 'processing', lastPaymentError: null },
    });
  });
});

describe('decideCheckoutSession (pure)', () => {
  const session = (overrides: Partial<Stripe.Checkout.Session> = {}) =>
    ({
      id: 'cs_1',
      object: 'checkout.session',
      payment_intent: 'pi_h',
      payment_status: 'paid',
      ...overrides,
    }) as Stripe.Checkout.Session;
  const hosted = () => order({ mode: 'hosted', paymentIntentId: null, checkoutSessionId: 'cs_1' });

  it('records the PaymentIntent once and moves a paid session to succeeded', () => {
    expect(decideCheckoutSession(hosted(), 'checkout.session.completed', session(), NOW)).toMatchObject({
      kind: 'write',
      order: { paymentIntentId: 'pi_h', status: 'succeeded' },
    });
    // An unpaid completion (a delayed method) records the PaymentIntent only.
    expect(
      decideCheckoutSession(hosted(), 'checkout.session.completed', session({ payment_status: 'unpaid' }), NOW),
    ).toMatchObject({
      kind: 'write',
      order: { paymentIntentId: 'pi_h', status: 'pending' },
    });
    // The PaymentIntent never changes once recorded.
    const recorded = order({ mode: 'hosted', paymentIntentId: 'pi_h', status: 'succeeded' });
    expect(decideCheckoutSession(recorded, 'checkout.session.completed', session({ payment_intent: 'pi_other' }), NOW).kind).toBe(
      'none',
    );
  });

  it('expires and fails only forward', () => {
    expect(decideCheckoutSession(hosted(), 'checkout.session.expired', session({ payment_intent: null }), NOW)).toMatchObject({
      order: { status: 'expired' },
    });
    expect(decideCheckoutSession(order({ status: 'succeeded' }), 'checkout.session.expired', session(), NOW).kind).toBe('none');
    expect(decideCheckoutSession(hosted(), 'checkout.session.async_payment_failed', session(), NOW)).toMatchObject({
      order: { status: 'failed' },
    });
  });
});

describe('decideChargeRefunded (pure)', () => {
  const charge = (amountRefunded: number, refunded = false) =>
    ({ id: 'ch_1', object: 'charge', amount: 2000, amount_refunded: amountRefunded, refunded }) as Stripe.Charge;

  it('moves to partially_refunded, then refunded, and the refunded amount never decreases', () => {
    const partial = decideChargeRefunded(order({ status: 'succeeded' }), charge(500), NOW);
    expect(partial).toMatchObject({ kind: 'write', order: { status: 'partially_refunded', amountRefunded: 500 } });
    const full = decideChargeRefunded(order({ status: 'partially_refunded', amountRefunded: 500 }), charge(2000, true), NOW);
    expect(full).toMatchObject({ kind: 'write', order: { status: 'refunded', amountRefunded: 2000 } });
    // A late, smaller event changes nothing.
    expect(
      decideChargeRefunded(order({ status: 'partially_refunded', amountRefunded: 1500, chargeId: 'ch_1' }), charge(500), NOW)
        .kind,
    ).toBe('none');
  });

  it('keeps amountRefunded the maximum of everything seen, in any order of events (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 12 }), (amounts) => {
        let current = order({ status: 'succeeded' });
        for (const amount of amounts) {
          const decision = decideChargeRefunded(current, charge(amount, amount === 2000), NOW);
          if (decision.kind === 'write') current = decision.order;
        }
        expect(current.amountRefunded).toBe(Math.max(...amounts));
        expect(current.status).toBe(Math.max(...amounts) === 2000 ? 'refunded' : 'partially_refunded');
      }),
      { numRuns: 500 },
    );
  });
});

describe('decideDispute (pure)', () => {
  const dispute = (status: string, overrides: Partial<Stripe.Dispute> = {}) =>
    ({
      id: 'dp_1',
      object: 'dispute',
      status,
      amount: 2000,
      currency: 'gbp',
      charge: 'ch_1',
      reason: 'fraudulent',
      ...overrides,
    }) as Stripe.Dispute;

  it('creates the dispute record and the order summary, and remembers funds withdrawn and reinstated', () => {
    const first = decideDispute(order(), null, 'charge.dispute.created', dispute('needs_response'), NOW);
    expect(first.dispute).toMatchObject({ disputeId: 'dp_1', orderId: 'o1', status: 'needs_response', fundsWithdrawn: false });
    expect(first.order?.dispute).toEqual({ id: 'dp_1', status: 'needs_response', amount: 2000 });
    const withdrawn = decideDispute(
      first.order as OrderRecord,
      first.dispute,
      'charge.dispute.funds_withdrawn',
      dispute('needs_response'),
      NOW,
    );
    expect(withdrawn.dispute?.fundsWithdrawn).toBe(true);
    expect(withdrawn.order).toBeNull();
  });

  it('never reopens a closed dispute (a late created after closed)', () => {
    const closed = decideDispute(order(), null, 'charge.dispute.closed', dispute('won'), NOW);
    const late = decideDispute(
      closed.order as OrderRecord,
      closed.dispute,
      'charge.dispute.created',
      dispute('needs_response'),
      NOW,
    );
    expect(late.dispute).toBeNull();
    expect(late.order).toBeNull();
  });

  // Statuses: https://docs.stripe.com/api/disputes/object; lifecycle: https://docs.stripe.com/disputes/how-disputes-work.
  it('stores exactly what disputeMayMove allows, for every pair of statuses (one rule for both)', () => {
    const statuses = Object.keys(DISPUTE_STAGE) as (keyof typeof DISPUTE_STAGE)[];
    for (const from of statuses) {
      for (const to of statuses) {
        const start = decideDispute(order(), null, 'charge.dispute.created', dispute(from), NOW);
        const next = decideDispute(start.order as OrderRecord, start.dispute, 'charge.dispute.updated', dispute(to), NOW);
        const stored = next.dispute?.status ?? from;
        expect(stored === to, `${from} -> ${to}`).toBe(disputeMayMove(from, to));
      }
    }
  });

  it('keeps a closed outcome, lets an inquiry escalate, and never goes back a stage', () => {
    expect(disputeMayMove('won', 'lost')).toBe(false);
    expect(disputeMayMove('lost', 'won')).toBe(false);
    expect(disputeMayMove('warning_closed', 'needs_response')).toBe(false);
    expect(disputeMayMove('lost', 'lost')).toBe(true);
    expect(disputeMayMove('warning_under_review', 'needs_response')).toBe(true);
    expect(disputeMayMove('warning_needs_response', 'under_review')).toBe(true);
    expect(disputeMayMove('under_review', 'needs_response')).toBe(false);
    expect(disputeMayMove('needs_response', 'warning_needs_response')).toBe(false);
    expect(disputeMayMove('needs_response', 'won')).toBe(true);
    expect(disputeMayMove('warning_under_review', 'warning_closed')).toBe(true);
  });
});

describe('vendor decisions (pure)', () => {
  it('keeps a disconnected vendor disconnected unless reconnecting, and disconnects once', () => {
    const disconnected = vendorRecord('v1', { status: 'disconnected' });
    expect(decideAccountState(disconnected, vendorState({ status: 'active' }), NOW)).toBeNull();
    expect(decideAccountState(disconnected, vendorState({ status: 'active' }), NOW, { reconnect: true })?.status).toBe('active');
    expect(decideDeauthorized(disconnected, NOW)).toBeNull();
    const active = vendorRecord('v1', { status: 'active' });
    expect(decideDeauthorized(active, NOW)).toMatchObject({
      status: 'disconnected',
      transfersCapability: active.transfersCapability,
      updatedAt: NOW,
    });
  });

  it('moveOrder keeps lastPaymentError only on failed orders', () => {
    const failed = order({ status: 'failed', lastPaymentError: { code: 'x', declineCode: null, message: null } });
    expect(moveOrder(failed, 'processing', {}, NOW)?.lastPaymentError).toBeNull();
    expect(
      moveOrder(order(), 'failed', { lastPaymentError: { code: 'y', declineCode: null, message: null } }, NOW)?.lastPaymentError
        ?.code,
    ).toBe('y');
  });
});
