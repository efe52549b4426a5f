import type Stripe from 'stripe';
import { type Context, callStripe } from '../../context.js';
import { disputePolicyContext, resolveDisputeRecoveries } from '../../core/money/dispute.js';
import { decideDispute } from '../../core/projectors/dispute.js';
import {
  type DisputeAction,
  type DisputeMoveResult,
  decideDisputeMoves,
  disputeActions,
  isChargeback,
  isReturned,
  planDisputeMoves,
} from '../../core/projectors/dispute-moves.js';
import { DISPUTE, type DisputeRecord, type DisputeVendorMove, type OrderRecord, TRANSFER } from '../../core/records.js';
import { MarketplaceError } from '../../errors.js';
import { mutateOrder } from '../../services/orders.js';
import { getStored, insertRecord, listRecords, mutateRecord } from '../../services/records.js';
import type { StoredRecord } from '../../storage/types.js';
import { type FoundOrder, findOrder, withPaymentIntentId } from './find.js';
import { type EventRecords, idOf, type Projector } from './types.js';

interface Prepared extends FoundOrder {
  readonly dispute: StoredRecord<DisputeRecord> | null;
  /** Stripe's dispute: re-read when money moves depend on it, else the event's. */
  readonly object: Stripe.Dispute;
  /** The policy's moves, when the stored record has none yet and the dispute is a chargeback. */
  readonly plan: readonly DisputeVendorMove[] | null;
  /** The moves Stripe made (or was found to have made) in `prepare`. */
  readonly results: readonly DisputeMoveResult[];
}

/** The dispute record once `object` is applied to `stored` (null: nothing stored and nothing to store). */
function project(order: OrderRecord, stored: DisputeRecord | null, type: string, object: Stripe.Dispute, now: number) {
  return decideDispute(order, stored, type, object, now).dispute ?? stored;
}

/**
 * `charge.dispute.*`: the dispute record, the order's dispute summary, and the dispute policy's money moves.
 *
 * `prepare` (outside any transaction) decides the moves on the record and makes the Stripe calls: a
 * reversal of the vendor's transfer while the dispute is an open or lost chargeback, a repayment transfer
 * once it is won. Each call is made at most once per dispute and vendor: a move recorded `done` is not
 * asked for again; before a call, Stripe is searched for the move (its metadata names it), so a move made
 * by a delivery that failed before recording it is found, even after the idempotency key expired; and the
 * call carries the idempotency key `dispute:<disputeId>:reversal|repay:<vendorId>` for concurrent
 * deliveries. A failed call fails the event (500): the record is unchanged and the next delivery retries.
 * `apply` records the plan and the results with version-guarded writes.
 */
export const disputeProjector: Projector<Prepared> = {
  async prepare(ctx, event) {
    const payload = event.data.object as Stripe.Dispute;
    const found = await findOrder(ctx, event);
    const none = { ...found, dispute: null, object: payload, plan: null, results: [] };
    if (!found.stored) return none;
    const order = found.stored.data;
    const dispute = await getStored(ctx.storage, DISPUTE, payload.id);
    const now = ctx.now();
    const stored = dispute?.data ?? null;
    const projected = project(order, stored, event.type, payload, now);
    if (!projected) return { ...none, dispute };
    const plan = (projected.moves ?? null) === null && isChargeback(projected) ? policyPlan(ctx, order, projected) : null;
    let record = decideDisputeMoves(projected, plan, [], now);
    if (!needsStripe(record)) return { ...found, dispute, object: payload, plan, results: [] };

    // Money moves depend on the dispute's status: decide on Stripe's current word, not the event's.
    const retrieve = () => callStripe('disputes.retrieve', () => ctx.stripe.disputes.retrieve(payload.id));
    let object = await retrieve();
    const results: DisputeMoveResult[] = [];
    for (let pass = 1; pass <= 2; pass++) {
      const current = project(order, stored, event.type, object, now);
      if (!current) break; // a status this version does not know: nothing moves
      record = decideDisputeMoves(current, plan, results, now);
      if (isReturned(record)) {
        // A reversal made by a delivery that failed before recording it: found now, so it is repaid, not skipped.
        for (const move of record.moves ?? []) {
          if (move.reversal.status === 'done') continue;
          // A cart's transfer not made yet was not reversed either.
          if (order.chargeType === 'separate' && !(await madeCartTransfer(ctx, order, move.vendorId))) continue;
          const transferId = await vendorTransferId(ctx, order, idOf(object.charge), move.vendorId);
          const made = await findReversal(ctx, transferId, reversalKey(record, move));
          if (made) results.push({ kind: 'reversal', vendorId: move.vendorId, stripeId: made.id, amount: made.amount });
        }
        record = decideDisputeMoves(record, null, results, now);
      }
      const actions = disputeActions(record);
      for (const action of actions) {
        const result = await perform(ctx, order, idOf(object.charge), action);
        if (result) results.push(result);
      }
      if (pass === 2 || !actions.some((a) => a.kind === 'reversal')) break;
      // A reversal was just made: if the dispute was won meanwhile, its closing event may have looked for this
      // reversal before it existed. Read the dispute again and repay now in that case.
      object = await retrieve();
    }
    return { ...found, dispute, object, plan, results };
  },

  async apply(ctx, event, prepared): Promise<EventRecords> {
    const stored = prepared.stored;
    if (!stored) return {};
    const { object, plan, results } = prepared;
    const now = ctx.now();
    const change = (current: DisputeRecord | null): DisputeRecord | null => {
      const decided = project(stored.data, current, event.type, object, now);
      if (!decided) return null;
      const next = decideDisputeMoves(decided, plan, results, now);
      return next === current ? null : next;
    };
    let record: DisputeRecord | null = prepared.dispute?.data ?? null;
    if (!prepared.dispute) {
      const first = change(null);
      if (first) {
        const inserted = await insertRecord(ctx.storage, DISPUTE, first);
        record = inserted.record.data;
        // Another delivery stored it first: apply this one's decision and results on top.
        if (!inserted.created) record = (await mutateRecord(ctx.storage, DISPUTE, object.id, change, inserted.record)).record;
      }
    } else {
      record = (await mutateRecord(ctx.storage, DISPUTE, object.id, change, prepared.dispute)).record;
    }
    const result = await mutateOrder(
      ctx,
      stored.id,
      (current) => {
        const order = withPaymentIntentId(current, prepared.paymentIntentId, now);
        const next = decideDispute(order, prepared.dispute?.data ?? null, event.type, object, now).order;
        return next ?? (order === current ? null : order);
      },
      stored,
    );
    return {
      ...(result.record ? { order: result.record } : {}),
      ...(record ? { dispute: record } : {}),
    };
  },
};

/** True when the record has a move to make, or a reversal to look for before the dispute's outcome skips it. */
function needsStripe(record: DisputeRecord): boolean {
  if (disputeActions(record).length > 0) return true;
  return isReturned(record) && (record.moves ?? []).some((m) => m.reversal.status !== 'done');
}

/** The policy's moves for a dispute first seen as a chargeback. */
function policyPlan(ctx: Context, order: OrderRecord, record: DisputeRecord): DisputeVendorMove[] {
  const question = disputePolicyContext(order, { disputeId: record.disputeId, amount: record.amount, reason: record.reason });
  const recoveries = resolveDisputeRecoveries(ctx.disputePolicy, question);
  return planDisputeMoves(recoveries, new Map(question.vendors.map((v) => [v.vendorId, v.accountId])));
}

const reversalKey = (record: DisputeRecord, move: DisputeVendorMove) => `dispute:${record.disputeId}:reversal:${move.vendorId}`;

function moveMetadata(action: DisputeAction): Record<string, string> {
  return {
    dispute_id: action.disputeId,
    order_id: action.orderId,
    vendor_id: action.vendorId,
    dispute_move: action.idempotencyKey,
  };
}

async function perform(
  ctx: Context,
  order: OrderRecord,
  chargeId: string | null,
  action: DisputeAction,
): Promise<DisputeMoveResult | null> {
  const key = action.idempotencyKey;
  if (action.kind === 'reversal') {
    if (order.chargeType === 'separate' && !(await madeCartTransfer(ctx, order, action.vendorId))) {
      // The vendor's cart transfer is not made yet (held until the vendor can receive transfers): there is nothing to
      // reverse now. The move stays pending, and the dispute's next event reverses it once the transfer is made;
      // failing the event instead would keep the dispute unrecorded, and its handlers unrun, until then.
      ctx.logger.warn?.("a dispute reversal waits for the vendor's cart transfer to be made", {
        disputeId: action.disputeId,
        orderId: action.orderId,
        vendorId: action.vendorId,
      });
      return null;
    }
    const transferId = await vendorTransferId(ctx, order, chargeId, action.vendorId);
    const made = await findReversal(ctx, transferId, key);
    if (made) return { kind: 'reversal', vendorId: action.vendorId, stripeId: made.id, amount: made.amount };
    // Never more than the transfer has left (a refund may have reversed part of it): Stripe would refuse it, and
    // the event would fail on every delivery.
    const transfer = await callStripe('transfers.retrieve', () => ctx.stripe.transfers.retrieve(transferId));
    const amount = Math.min(action.amount, transfer.amount - transfer.amount_reversed);
    if (amount <= 0) return { kind: 'reversal', vendorId: action.vendorId, stripeId: null, amount: 0 };
    const reversal = await callStripe('transfers.createReversal', () =>
      ctx.stripe.transfers.createReversal(transferId, { amount, metadata: moveMetadata(action) }, { idempotencyKey: key }),
    );
    return { kind: 'reversal', vendorId: action.vendorId, stripeId: reversal.id, amount: reversal.amount };
  }
  const group = `dispute:${action.disputeId}`;
  const listed = await callStripe('transfers.list', () =>
    ctx.stripe.transfers.list({ destination: action.accountId, transfer_group: group, limit: 100 }),
  );
  const existing = listed.data.find((t) => t.metadata?.dispute_move === key);
  if (existing) return { kind: 'repayment', vendorId: action.vendorId, stripeId: existing.id, amount: existing.amount };
  const transfer = await callStripe('transfers.create', () =>
    ctx.stripe.transfers.create(
      {
        amount: action.amount,
        currency: action.currency,
        destination: action.accountId,
        transfer_group: group,
        description: `Repayment: dispute ${action.disputeId} on order ${action.orderId} was won`,
        metadata: moveMetadata(action),
      },
      { idempotencyKey: key },
    ),
  );
  return { kind: 'repayment', vendorId: action.vendorId, stripeId: transfer.id, amount: transfer.amount };
}

/** The reversal (`trr_...`) of `transferId` that the move `key` made, if any. */
async function findReversal(ctx: Context, transferId: string, key: string): Promise<Stripe.TransferReversal | null> {
  const reversals = await callStripe('transfers.listReversals', () =>
    ctx.stripe.transfers.listReversals(transferId, { limit: 100 }),
  );
  return reversals.data.find((r) => r.metadata?.dispute_move === key) ?? null;
}

/** The Stripe id of the vendor's transfer of a cart, once it is made; null while it is held or pending. */
async function madeCartTransfer(ctx: Context, order: OrderRecord, vendorId: string): Promise<string | null> {
  const transfers = await listRecords(ctx.storage, TRANSFER, { index: order.orderId, limit: 1000 });
  return transfers.find((t) => t.vendorId === vendorId && t.stripeTransferId)?.stripeTransferId ?? null;
}

/**
 * The vendor's transfer for the order: a destination charge's transfer (the charge's `transfer`, read from
 * Stripe), or the vendor's separate transfer as stored (`TransferRecord`).
 */
async function vendorTransferId(
  ctx: Context,
  order: OrderRecord,
  disputedCharge: string | null,
  vendorId: string,
): Promise<string> {
  let transferId: string | null = null;
  if (order.chargeType === 'destination') {
    const chargeId = order.chargeId ?? disputedCharge;
    if (chargeId) {
      const charge = await callStripe('charges.retrieve', () => ctx.stripe.charges.retrieve(chargeId));
      transferId = idOf(charge.transfer as string | { id: string } | null);
    }
  } else {
    const transfers = await listRecords(ctx.storage, TRANSFER, { index: order.orderId, limit: 1000 });
    transferId = transfers.find((t) => t.vendorId === vendorId && t.stripeTransferId)?.stripeTransferId ?? null;
  }
  if (!transferId) {
    throw new MarketplaceError(
      'WEBHOOK_HANDLER_FAILED',
      `the dispute policy takes money back from vendor "${vendorId}" of order "${order.orderId}", but its transfer is not known yet`,
      { details: { orderId: order.orderId, vendorId } },
    );
  }
  return transferId;
}
