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
 * How far a dispute has gone. A dispute's stored status only moves to a later stage, so a late
 * `charge.dispute.created` cannot reopen a closed dispute. Within a stage Stripe's latest word wins.
 */
export const DISPUTE_STAGE: Readonly<Record<DisputeStatus, number>> = Object.freeze({
  warning_needs_response: 0,
  needs_response: 0,
  warning_under_review: 1,
  under_review: 1,
  warning_closed: 2,
  won: 2,
  lost: 2,
  prevented: 2,
});

/** True when a dispute in `from` may be recorded as `to`. */
export function disputeMayMove(from: DisputeStatus, to: DisputeStatus): boolean {
  return DISPUTE_STAGE[to] >= DISPUTE_STAGE[from] && !(DISPUTE_STAGE[from] === 2 && from !== to);
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
