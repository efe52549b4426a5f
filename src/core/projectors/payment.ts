import type Stripe from 'stripe';
import type { OrderRecord, OrderStatus, PaymentError } from '../records.js';
import { statusesBefore } from '../transitions.js';

/**
 * What an order-payment event means for the order:
 * - `write`: store `order` (the order after the event);
 * - `none`: nothing to store (the event is older than what is stored, or changes nothing);
 * - `confirm`: between `processing` and `failed` the event alone cannot tell a new state from a late one:
 *   re-read the PaymentIntent and decide again with it as `confirmed`.
 */
export type PaymentDecision =
  | { readonly kind: 'write'; readonly order: OrderRecord }
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'confirm'; readonly paymentIntentId: string };

const none = (reason: string): PaymentDecision => ({ kind: 'none', reason });

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value.id === 'string' ? value.id : null;
}

/** The order moved to `to` with `patch`, when `to` may follow its status (or `from` admits it); otherwise null. */
export function moveOrder(
  order: OrderRecord,
  to: OrderStatus,
  patch: Partial<OrderRecord>,
  now: number,
  from: readonly OrderStatus[] = statusesBefore(to),
): OrderRecord | null {
  if (!from.includes(order.status)) return null;
  // An error belongs to a failed order only: a payment that moves on leaves the old decline behind.
  const lastPaymentError = to === 'failed' ? (patch.lastPaymentError ?? order.lastPaymentError) : null;
  return { ...order, ...patch, status: to, lastPaymentError, updatedAt: now };
}

/** Records the PaymentIntent id on the order once; it never changes afterwards. */
function withPaymentIntent(order: OrderRecord, paymentIntentId: string | null, now: number): OrderRecord {
  if (!paymentIntentId || order.paymentIntentId !== null) return order;
  return { ...order, paymentIntentId, updatedAt: now };
}

export function paymentErrorOf(intent: Stripe.PaymentIntent): PaymentError | null {
  const error = intent.last_payment_error;
  if (!error) return null;
  return { code: error.code ?? null, declineCode: error.decline_code ?? null, message: error.message ?? null };
}

function decided(order: OrderRecord | null, before: OrderRecord, reason: string): PaymentDecision {
  return order && order !== before ? { kind: 'write', order } : none(reason);
}

/**
 * `payment_intent.*` on an order. Statuses only move forward (`ORDER_TRANSITIONS`); `processing` and
 * `failed` can follow each other both ways (a declined card, then a bank debit; a bank debit that fails
 * later), so between those two the order moves only on a `confirmed` (re-read) PaymentIntent.
 */
export function decidePaymentIntent(
  order: OrderRecord,
  type: string,
  intent: Stripe.PaymentIntent,
  now: number,
  confirmed?: Stripe.PaymentIntent,
): PaymentDecision {
  const base = withPaymentIntent(order, intent.id, now);
  switch (type) {
    case 'payment_intent.succeeded': {
      const chargeId = idOf(intent.latest_charge);
      return decided(moveOrder(base, 'succeeded', chargeId ? { chargeId } : {}, now), order, 'already past succeeded');
    }
    case 'payment_intent.canceled':
      return decided(moveOrder(base, 'canceled', {}, now), order, 'already past canceled');
    case 'payment_intent.processing':
    case 'payment_intent.payment_failed': {
      const to = type === 'payment_intent.processing' ? 'processing' : 'failed';
      const other = to === 'failed' ? 'processing' : 'failed';
      const source = confirmed ?? intent;
      const patch: Partial<OrderRecord> = to === 'failed' ? { lastPaymentError: paymentErrorOf(source) } : {};
      if (base.status === other) {
        if (!confirmed) return { kind: 'confirm', paymentIntentId: intent.id };
        const holds = to === 'failed' ? confirmed.status === 'requires_payment_method' : confirmed.status === 'processing';
        if (!holds) return none(`the PaymentIntent is ${confirmed.status} now`);
        return decided(moveOrder(base, to, patch, now, [other]), order, 'not moved');
      }
      // `failed` -> `failed` records the latest decline when the customer retries and fails again.
      const direct = [...statusesBefore(to), ...(to === 'failed' ? (['failed'] as const) : [])].filter((s) => s !== other);
      return decided(moveOrder(base, to, patch, now, direct), order, `already past ${to}`);
    }
    default:
      return decided(base, order, 'nothing to record');
  }
}

/**
 * `checkout.session.*` on a hosted order: records the session's PaymentIntent, then moves the order.
 * Delayed payment methods complete the session unpaid; `async_payment_succeeded` follows.
 */
export function decideCheckoutSession(
  order: OrderRecord,
  type: string,
  session: Stripe.Checkout.Session,
  now: number,
): PaymentDecision {
  const base = withPaymentIntent(order, idOf(session.payment_intent), now);
  let moved: OrderRecord | null = null;
  if (type === 'checkout.session.completed' && session.payment_status === 'paid') moved = moveOrder(base, 'succeeded', {}, now);
  else if (type === 'checkout.session.async_payment_succeeded') moved = moveOrder(base, 'succeeded', {}, now);
  else if (type === 'checkout.session.async_payment_failed') moved = moveOrder(base, 'failed', {}, now);
  else if (type === 'checkout.session.expired') moved = moveOrder(base, 'expired', {}, now);
  return decided(moved ?? base, order, 'nothing to record');
}

/**
 * `charge.refunded`: the order's refunded amount (which never decreases) and status, for an order without refund
 * records. A refund proves the payment went through, so it may overtake the payment's own event.
 */
export function decideChargeRefunded(order: OrderRecord, charge: Stripe.Charge, now: number): PaymentDecision {
  if (charge.amount_refunded <= 0) return none('nothing refunded');
  // Once the order holds refund records, its refunded amount follows them (`refund.*` events; see projectors/refund.ts):
  // a failed refund lowers it again, which the charge's running total must not undo.
  if (order.refundHolds && Object.keys(order.refundHolds).length > 0) {
    if (order.chargeId !== null) return none('refunds follow their refund records');
    return decided({ ...order, chargeId: charge.id, updatedAt: now }, order, 'already recorded');
  }
  const amountRefunded = Math.max(order.amountRefunded, charge.amount_refunded);
  const fully = charge.refunded || amountRefunded >= order.amount;
  const moved = moveOrder(order, fully ? 'refunded' : 'partially_refunded', { amountRefunded, chargeId: charge.id }, now);
  if (
    moved &&
    moved.amountRefunded === order.amountRefunded &&
    moved.status === order.status &&
    moved.chargeId === order.chargeId
  ) {
    return none('already recorded');
  }
  return decided(moved, order, 'the order can no longer move');
}
