import type { OrderStatus } from '../storage/types.js';

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
