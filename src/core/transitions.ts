import type { DisputeStatus, OrderStatus, PayoutStatus, RefundStatus } from './records.js';

/**
 * Where each order status may go next. Statuses only move forward, so a late or duplicated webhook
 * cannot undo newer state: a `payment_failed` that arrives after `succeeded` changes nothing.
 * - `failed` can still move on: the customer may retry with another payment method.
 * - A refund proves the payment went through, so an order can become refunded from any open status
 *   (the refund's webhook can overtake the payment's).
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = Object.freeze({
  pending: ['processing', 'failed', 'succeeded', 'partially_refunded', 'refunded', 'canceled', 'expired'],
  processing: ['failed', 'succeeded', 'partially_refunded', 'refunded', 'canceled'],
  failed: ['processing', 'succeeded', 'partially_refunded', 'refunded', 'canceled', 'expired'],
  succeeded: ['partially_refunded', 'refunded'],
  partially_refunded: ['partially_refunded', 'refunded'],
  refunded: [],
  canceled: [],
  expired: [],
});

const ALL = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];

/** True when an order in `from` may move to `to`. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** The statuses from which an order may move to `to`: the `from` list for `storage.updateOrder`. */
export function statusesBefore(to: OrderStatus): OrderStatus[] {
  return ALL.filter((from) => canTransition(from, to));
}

/**
 * How far a dispute has gone, and the one rule for its stored status (used by `decideDispute`):
 * an inquiry (`warning_needs_response` 0, `warning_under_review` 1) can escalate to a chargeback
 * (`needs_response` 2, `under_review` 3), and every dispute ends in one final status (4: `won`, `lost`,
 * `warning_closed`, `prevented`). Statuses are Stripe's (https://docs.stripe.com/api/disputes/object).
 */
export const DISPUTE_STAGE: Readonly<Record<DisputeStatus, number>> = Object.freeze({
  warning_needs_response: 0,
  warning_under_review: 1,
  needs_response: 2,
  under_review: 3,
  warning_closed: 4,
  won: 4,
  lost: 4,
  prevented: 4,
});

/** The stage of a final dispute status: a dispute there never changes status again. */
export const DISPUTE_FINAL_STAGE = 4;

/**
 * True when a dispute stored as `from` may be recorded as `to`: the same status (Stripe's latest word on
 * its amount and reason), or a later stage while it is still open. A late `charge.dispute.created` never
 * reopens a closed dispute, a `won` never becomes `lost` (nor the other way), and a chargeback never goes
 * back to an inquiry.
 */
export function disputeMayMove(from: DisputeStatus, to: DisputeStatus): boolean {
  if (from === to) return true;
  return DISPUTE_STAGE[from] < DISPUTE_FINAL_STAGE && DISPUTE_STAGE[to] > DISPUTE_STAGE[from];
}

/**
 * Where a refund may go next. `pending` and `requires_action` are open; `succeeded` can still become
 * `failed` (Stripe reports a refund that failed after it succeeded, for example to a closed card);
 * `failed` and `canceled` are ends.
 */
export const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = Object.freeze({
  pending: ['requires_action', 'succeeded', 'failed', 'canceled'],
  requires_action: ['pending', 'succeeded', 'failed', 'canceled'],
  succeeded: ['failed'],
  failed: [],
  canceled: [],
});

/** Where a payout may go next: `pending` -> `in_transit` -> `paid`, or `failed` / `canceled` (a paid payout can still fail). */
export const PAYOUT_TRANSITIONS: Readonly<Record<PayoutStatus, readonly PayoutStatus[]>> = Object.freeze({
  pending: ['in_transit', 'paid', 'failed', 'canceled'],
  in_transit: ['paid', 'failed', 'canceled'],
  paid: ['failed'],
  failed: [],
  canceled: [],
});
