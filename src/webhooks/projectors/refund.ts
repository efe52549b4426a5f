import type Stripe from 'stripe';
import { decideRefund, refundStatusOf, releaseRefund } from '../../core/projectors/refund.js';
import { REFUND, type RefundMovement, type RefundRecord, type RefundStatus } from '../../core/records.js';
import { mutateOrder } from '../../services/orders.js';
import { getStored, insertRecord, mutateRecord, resolveStored } from '../../services/records.js';
import { callStripe } from '../../context.js';
import { moveRefundMoney, refundRecordId, restoreVendors } from '../../services/refunds.js';
import type { StoredRecord } from '../../storage/types.js';
import { type FoundOrder, findOrder, withPaymentIntentId } from './find.js';
import type { EventRecords, Projector } from './types.js';

interface Prepared extends FoundOrder {
  readonly refund: StoredRecord<RefundRecord> | null;
  /** Transfers that gave the vendors back what a failed or canceled refund took from them. */
  readonly restores: readonly RefundMovement[];
  /** The money a library refund moved, when `market.refund` did not get to record it (it stopped after the refund). */
  readonly moved: { transferReversals: RefundMovement[]; feeRefunds: RefundMovement[] } | null;
}

const CLOSED: readonly RefundStatus[] = ['failed', 'canceled'];

const NONE: Prepared = { stored: null, paymentIntentId: null, refund: null, restores: [], moved: null };

/** True when a library refund has not recorded the transfer reversal its policy asked for. */
function unmoved(record: RefundRecord): boolean {
  const part = record.parts?.[0];
  return (
    record.source === 'library' &&
    part !== undefined &&
    part.vendorBears + part.feeReturned > 0 &&
    (record.transferReversals ?? []).length === 0
  );
}

/**
 * The stored record of a refund: the library's, by the `refund_id` it put in the refund's metadata (checked against
 * the record: same order, same amount, and no other Stripe refund), else by the `re_` id.
 */
async function recordOf(ctx: Parameters<Projector['prepare']>[0], orderId: string, refund: Stripe.Refund) {
  const refundId = refund.metadata?.refund_id;
  if (refundId) {
    const stored = await getStored(ctx.storage, REFUND, refundRecordId(orderId, refundId));
    const data = stored?.data;
    if (data && data.amount === refund.amount && (data.stripeRefundId === null || data.stripeRefundId === refund.id))
      return stored;
  }
  return resolveStored(ctx.storage, REFUND, refund.id);
}

/**
 * `refund.created`, `refund.updated`, `refund.failed`: the refund record (a refund made in the Dashboard becomes one),
 * and the order's refund holds, refunded amount and status. A library refund that failed or was canceled after it
 * moved money gives the vendors back what they bore (Stripe calls in `prepare`, recorded in `apply`).
 */
export const refundProjector: Projector<Prepared> = {
  async prepare(ctx, event) {
    // Refunds of the library's destination charges are the platform's objects: Connect events are not about them.
    if (event.account !== undefined) return NONE;
    const found = await findOrder(ctx, event);
    const order = found.stored?.data;
    if (!order) return NONE;
    const refund = event.data.object as Stripe.Refund;
    const stored = await recordOf(ctx, order.orderId, refund);
    const status = refundStatusOf(refund);
    const data = stored?.data;
    let restores: RefundMovement[] = [];
    let moved: Prepared['moved'] = null;
    const closed = status === 'failed' || status === 'canceled';
    if (data && !closed && data.status !== 'failed' && data.status !== 'canceled' && unmoved(data)) {
      // market.refund stopped after Stripe made the refund: the event finishes the steps, with the same keys.
      const chargeId = typeof refund.charge === 'string' ? refund.charge : refund.charge?.id;
      if (chargeId) {
        const charge = await callStripe('charges.retrieve', () => ctx.stripe.charges.retrieve(chargeId));
        moved = await moveRefundMoney(ctx, order, data, charge);
      }
    }
    if (data && closed && (data.transferReversals ?? []).length > 0) {
      restores = await restoreVendors(ctx, order, data);
    }
    return { ...found, refund: stored, restores, moved };
  },

  async apply(ctx, event, prepared): Promise<EventRecords> {
    const stored = prepared.stored;
    if (!stored) return {};
    const refund = event.data.object as Stripe.Refund;
    const now = ctx.now();
    const order = withPaymentIntentId(stored.data, prepared.paymentIntentId, now);
    let record: RefundRecord | null = prepared.refund?.data ?? null;
    const moved = prepared.moved;
    const withRestores = (r: RefundRecord): RefundRecord => {
      let next = r;
      if (moved && moved.transferReversals.length > 0 && (next.transferReversals ?? []).length === 0) {
        next = { ...next, transferReversals: moved.transferReversals, feeRefunds: moved.feeRefunds, updatedAt: now };
      }
      if (prepared.restores.length > 0 && (next.restores ?? []).length === 0) {
        next = { ...next, restores: prepared.restores, updatedAt: now };
      }
      return next;
    };
    if (!prepared.refund) {
      const first = decideRefund(order, null, refund, now).refund;
      if (first) {
        const inserted = await insertRecord(ctx.storage, REFUND, first);
        record = inserted.record.data;
        // Another event of this refund stored it meanwhile: this event's status still applies, forward only.
        if (!inserted.created) {
          const change = (current: RefundRecord) => decideRefund(order, current, refund, now).refund;
          const id = refundRecordId(first.orderId, first.refundId);
          record = (await mutateRecord(ctx.storage, REFUND, id, change, inserted.record)).record ?? record;
        }
      }
    } else {
      const id = refundRecordId(prepared.refund.data.orderId, prepared.refund.data.refundId);
      const result = await mutateRecord(
        ctx.storage,
        REFUND,
        id,
        (current) => {
          const decided = decideRefund(order, current, refund, now).refund;
          const next = withRestores(decided ?? current);
          return next === current ? null : next;
        },
        prepared.refund,
      );
      record = result.record;
    }
    let result = await mutateOrder(
      ctx,
      stored.id,
      (current) => {
        const base = withPaymentIntentId(current, prepared.paymentIntentId, now);
        const next = decideRefund(base, record, refund, now).order;
        return next ?? (base === current ? null : base);
      },
      stored,
    );
    // Another event of this refund, processed at the same time, may have closed it after `record` was read: the order
    // follows the record as it stands now, so a hold this event opened is not left on a failed refund.
    if (record && !CLOSED.includes(record.status)) {
      const latest = (await getStored(ctx.storage, REFUND, refundRecordId(record.orderId, record.refundId)))?.data ?? record;
      if (CLOSED.includes(latest.status)) {
        record = latest;
        const released = await mutateOrder(ctx, stored.id, (current) => releaseRefund(current, latest.refundId, now));
        if (released.record) result = released;
      }
    }
    return { ...(result.record ? { order: result.record } : {}), ...(record ? { refund: record } : {}) };
  },
};
