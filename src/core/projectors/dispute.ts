import type Stripe from 'stripe';
import type { DisputeRecord, DisputeStatus, OrderRecord } from '../records.js';
import { DISPUTE_STAGE, disputeMayMove } from '../transitions.js';

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value.id === 'string' ? value.id : null;
}

/** What a `charge.dispute.*` event changes: the dispute record, and the order's dispute summary. */
export interface DisputeDecision {
  /** The dispute record to store, or null when it stays as it is. */
  readonly dispute: DisputeRecord | null;
  /** The order to store (its `dispute` summary), or null when it stays as it is. */
  readonly order: OrderRecord | null;
}

/**
 * A dispute's stored status moves only as `disputeMayMove` allows (the one rule, shared with the stage
 * table), so a late `created` after `closed` cannot reopen it and a closed dispute keeps its outcome;
 * `funds_withdrawn` and `funds_reinstated` are remembered once seen.
 */
export function decideDispute(
  order: OrderRecord,
  stored: DisputeRecord | null,
  type: string,
  dispute: Stripe.Dispute,
  now: number,
): DisputeDecision {
  const status = dispute.status as DisputeStatus;
  if (!(status in DISPUTE_STAGE)) return { dispute: null, order: null };
  const keepStatus = stored !== null && !disputeMayMove(stored.status, status);
  const current: DisputeRecord = stored ?? {
    disputeId: dispute.id,
    orderId: order.orderId,
    chargeId: idOf(dispute.charge),
    amount: dispute.amount,
    currency: dispute.currency,
    status,
    reason: dispute.reason ?? null,
    fundsWithdrawn: false,
    fundsReinstated: false,
    createdAt: now,
    updatedAt: now,
  };
  const next: DisputeRecord = {
    ...current,
    status: keepStatus ? current.status : status,
    amount: keepStatus ? current.amount : dispute.amount,
    reason: dispute.reason ?? current.reason,
    fundsWithdrawn: current.fundsWithdrawn || type === 'charge.dispute.funds_withdrawn',
    fundsReinstated: current.fundsReinstated || type === 'charge.dispute.funds_reinstated',
    updatedAt: now,
  };
  const changed =
    stored === null ||
    next.status !== stored.status ||
    next.amount !== stored.amount ||
    next.reason !== stored.reason ||
    next.fundsWithdrawn !== stored.fundsWithdrawn ||
    next.fundsReinstated !== stored.fundsReinstated;
  const summary = { id: next.disputeId, status: next.status, amount: next.amount };
  const prior = order.dispute;
  // The order shows its latest dispute: a dispute seen for the first time replaces the summary; the same
  // dispute updates it; an older dispute's late event leaves it.
  let orderChanged: boolean;
  if (prior === null) orderChanged = true;
  else if (prior.id === summary.id) orderChanged = prior.status !== summary.status || prior.amount !== summary.amount;
  else orderChanged = stored === null;
  return {
    dispute: changed ? next : null,
    order: orderChanged ? { ...order, dispute: summary, updatedAt: now } : null,
  };
}
