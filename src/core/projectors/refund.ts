import type Stripe from 'stripe';
import { MarketplaceError } from '../../errors.js';
import { type RefundLine, type RefundPart, type RefundPolicy, splitRefund } from '../money/refund.js';
import type { OrderRecord, OrderStatus, RefundHold, RefundRecord, RefundStatus } from '../records.js';
import { REFUND_TRANSITIONS } from '../transitions.js';

/**
 * Refunds on an order, as pure decisions:
 * - what is left to refund (`refundableAmount`), and the reservation `market.refund` writes before calling Stripe;
 * - what a `refund.*` event (or a refund read from Stripe) changes on the refund record and on the order.
 *
 * The order's `amountRefunded` and refund status follow its refund holds: the refunds that are not failed or
 * canceled. A refund that fails gives its amount back, and the order moves back (`refunded` to
 * `partially_refunded`, or to `succeeded` when no refund is left): only a failed or canceled refund moves an order
 * back, and only by the refund's own forward-only status (`REFUND_TRANSITIONS`), so a late event cannot do it.
 */

const EMPTY: Readonly<Record<string, RefundHold>> = Object.freeze({});

/** The order's refund holds (empty on an order stored before refunds existed). */
export function holdsOf(order: OrderRecord): Readonly<Record<string, RefundHold>> {
  return order.refundHolds ?? EMPTY;
}

/** What is left to refund: the charge minus every refund that is not failed or canceled (or what Stripe reported). */
export function refundableAmount(order: OrderRecord): number {
  const held = Object.values(holdsOf(order)).reduce((sum, hold) => sum + hold.amount, 0);
  return order.amount - Math.max(held, Object.keys(holdsOf(order)).length === 0 ? order.amountRefunded : 0);
}

/** The order's lines with what the refunds it holds already moved on each. */
export function refundLines(order: OrderRecord): RefundLine[] {
  const moved = new Map<string, { refunded: number; vendorBore: number; feeReturned: number }>();
  for (const hold of Object.values(holdsOf(order))) {
    for (const part of hold.parts) {
      const m = moved.get(part.vendorId) ?? { refunded: 0, vendorBore: 0, feeReturned: 0 };
      moved.set(part.vendorId, {
        refunded: m.refunded + part.amount,
        vendorBore: m.vendorBore + part.vendorBears,
        feeReturned: m.feeReturned + part.feeReturned,
      });
    }
  }
  return order.items.map((item) => ({
    vendorId: item.vendorId,
    amount: item.amount,
    applicationFeeAmount: item.applicationFeeAmount,
    vendorAmount: item.vendorAmount,
    ...(moved.get(item.vendorId) ?? { refunded: 0, vendorBore: 0, feeReturned: 0 }),
  }));
}

const REFUNDABLE: readonly OrderStatus[] = ['succeeded', 'partially_refunded', 'refunded'];

/** The order with its refund holds replaced, its `amountRefunded` and refund status derived from them. */
export function withHolds(order: OrderRecord, holds: Readonly<Record<string, RefundHold>>, now: number): OrderRecord {
  const refunded = Object.values(holds).reduce((sum, hold) => sum + (hold.state === 'open' ? hold.amount : 0), 0);
  let status = order.status;
  if (refunded >= order.amount) status = 'refunded';
  else if (refunded > 0) status = order.status === 'canceled' || order.status === 'expired' ? order.status : 'partially_refunded';
  else if (status === 'partially_refunded' || status === 'refunded') status = 'succeeded';
  return { ...order, refundHolds: holds, amountRefunded: refunded, status, lastPaymentError: null, updatedAt: now };
}

export interface ReserveInput {
  readonly refundId: string;
  /** The amount asked for; undefined for all that is left. */
  readonly amount: number | undefined;
  /**
   * A cart refund that names its items: the amount per vendor (undefined: all that is left of that vendor's item).
   * The refund's amount is then their sum.
   */
  readonly items?: readonly { readonly vendorId: string; readonly amount: number | undefined }[];
}

/** The per-line allocation of a refund that names its items, and its total. Throws `REFUND_EXCEEDS_REMAINING`. */
function itemAllocation(order: OrderRecord, lines: readonly RefundLine[], items: NonNullable<ReserveInput['items']>) {
  const allocation = lines.map((line) => {
    const named = items.find((item) => item.vendorId === line.vendorId);
    if (!named) return 0;
    const left = line.amount - line.refunded;
    const amount = named.amount ?? left;
    if (left <= 0 || amount > left) {
      throw new MarketplaceError(
        'REFUND_EXCEEDS_REMAINING',
        `order "${order.orderId}": a refund of ${amount} on vendor "${line.vendorId}"'s item exceeds the ${left} left on it`,
        { details: { orderId: order.orderId, vendorId: line.vendorId, amount, remaining: left } },
      );
    }
    return amount;
  });
  return { allocation, amount: allocation.reduce((sum, part) => sum + part, 0) };
}

/**
 * Reserves a refund on the order (the write `market.refund` guards with the order's version), or returns the
 * reservation already made under `refundId`. Throws `ORDER_NOT_REFUNDABLE` or `REFUND_EXCEEDS_REMAINING`.
 */
export function reserveRefund(
  order: OrderRecord,
  input: ReserveInput,
  policy: RefundPolicy,
  now: number,
): { order: OrderRecord | null; hold: RefundHold } {
  const existing = holdsOf(order)[input.refundId];
  if (existing) return { order: null, hold: existing };
  if (!REFUNDABLE.includes(order.status)) {
    throw new MarketplaceError(
      'ORDER_NOT_REFUNDABLE',
      `order "${order.orderId}" is ${order.status}; only a paid order can be refunded`,
      {
        details: { orderId: order.orderId, status: order.status },
      },
    );
  }
  const left = refundableAmount(order);
  const lines = refundLines(order);
  const named = input.items ? itemAllocation(order, lines, input.items) : null;
  const amount = named?.amount ?? input.amount ?? left;
  if (left <= 0 || amount > left) {
    throw new MarketplaceError(
      'REFUND_EXCEEDS_REMAINING',
      `order "${order.orderId}": a refund of ${amount} exceeds the ${left} left to refund`,
      { details: { orderId: order.orderId, amount, remaining: left } },
    );
  }
  const parts: RefundPart[] = splitRefund(policy, {
    orderId: order.orderId,
    currency: order.currency,
    chargeType: order.chargeType,
    lines,
    amount,
    ...(named ? { allocation: named.allocation } : {}),
  });
  const hold: RefundHold = { amount, state: 'reserved', parts };
  return { order: { ...order, refundHolds: { ...holdsOf(order), [input.refundId]: hold }, updatedAt: now }, hold };
}

/** The order without the hold of `refundId` (Stripe refused the refund, or it failed or was canceled), or null. */
export function releaseRefund(order: OrderRecord, refundId: string, now: number): OrderRecord | null {
  const holds = holdsOf(order);
  if (!(refundId in holds)) return null;
  const { [refundId]: _released, ...rest } = holds;
  return withHolds(order, rest, now);
}

/** The order with the hold of `refundId` open (Stripe created the refund): it now counts as refunded. */
export function openRefund(order: OrderRecord, refundId: string, hold: RefundHold, now: number): OrderRecord | null {
  const current = holdsOf(order)[refundId];
  if (current?.state === 'open' && current.amount === hold.amount) return null;
  return withHolds(order, { ...holdsOf(order), [refundId]: { ...(current ?? hold), state: 'open' } }, now);
}

const CLOSED: readonly RefundStatus[] = ['failed', 'canceled'];

/** Stripe's refund status, or `pending` for one the library does not know. */
export function refundStatusOf(refund: Stripe.Refund): RefundStatus {
  const status = refund.status as RefundStatus | null;
  return status && status in REFUND_TRANSITIONS ? status : 'pending';
}

/** What a refund event changes: the refund record and the order, each null when it stays as it is. */
export interface RefundDecision {
  readonly refund: RefundRecord | null;
  readonly order: OrderRecord | null;
}

/**
 * `refund.created`, `refund.updated`, `refund.failed` (or a refund listed on `charge.refunded`) on an order.
 * `current` is the stored record: the library's (found by the `refund_id` it put in the refund's metadata, or by
 * `re_` id) or null for a refund made elsewhere, which becomes a record of its own (`source: 'stripe'`).
 * The record's status moves by `REFUND_TRANSITIONS` only; the order's hold follows the record's status.
 */
export function decideRefund(
  order: OrderRecord,
  current: RefundRecord | null,
  refund: Stripe.Refund,
  now: number,
): RefundDecision {
  const reported = refundStatusOf(refund);
  let record: RefundRecord | null = null;
  let status: RefundStatus;
  if (!current) {
    status = reported;
    record = {
      refundId: refund.id,
      orderId: order.orderId,
      stripeRefundId: refund.id,
      amount: refund.amount,
      currency: refund.currency,
      status,
      reason: refund.reason ?? null,
      failureReason: refund.failure_reason ?? null,
      source: 'stripe',
      parts: [],
      metadata: { ...(refund.metadata ?? {}) },
      createdAt: now,
      updatedAt: now,
    };
  } else {
    const moves = current.status !== reported && REFUND_TRANSITIONS[current.status].includes(reported);
    status = moves ? reported : current.status;
    const failureReason = moves && CLOSED.includes(reported) ? (refund.failure_reason ?? 'unknown') : current.failureReason;
    if (moves || current.stripeRefundId !== refund.id) {
      record = { ...current, stripeRefundId: refund.id, status, failureReason, updatedAt: now };
    }
  }
  const key = current?.refundId ?? refund.id;
  const closed = CLOSED.includes(status);
  const held = holdsOf(order)[key];
  let nextOrder: OrderRecord | null;
  if (closed) nextOrder = releaseRefund(order, key, now);
  else nextOrder = openRefund(order, key, held ?? { amount: refund.amount, state: 'open', parts: current?.parts ?? [] }, now);
  return { refund: record, order: nextOrder };
}
