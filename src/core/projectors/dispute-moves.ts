/**
 * The money moves of a dispute policy, as pure decisions on the dispute record: which moves are due now
 * (`disputeActions`), and the record once Stripe made some of them (`decideDisputeMoves`). The projector
 * (`webhooks/projectors/dispute.ts`) makes the Stripe calls in between.
 */
import type { DisputeRecovery } from '../money/dispute.js';
import type { DisputeMoveStep, DisputeRecord, DisputeVendorMove } from '../records.js';

export type DisputeMoveKind = 'reversal' | 'repayment';

/** A Stripe call a dispute needs now. */
export interface DisputeAction {
  readonly kind: DisputeMoveKind;
  readonly disputeId: string;
  readonly orderId: string;
  readonly vendorId: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: string;
  /** `dispute:<disputeId>:reversal:<vendorId>` or `dispute:<disputeId>:repay:<vendorId>`. */
  readonly idempotencyKey: string;
}

/** A move Stripe made (or was found to have made): the reversal `trr_...` or the repayment `tr_...`. */
export interface DisputeMoveResult {
  readonly kind: DisputeMoveKind;
  readonly vendorId: string;
  readonly stripeId: string;
}

/** The idempotency key of a dispute's move for one vendor. */
export function disputeMoveKey(disputeId: string, kind: DisputeMoveKind, vendorId: string): string {
  return `dispute:${disputeId}:${kind === 'reversal' ? 'reversal' : 'repay'}:${vendorId}`;
}

/** A chargeback (money withdrawn, or a chargeback status), as opposed to an inquiry, which moves no money. */
export function isChargeback(d: DisputeRecord): boolean {
  return d.fundsWithdrawn || !d.status.startsWith('warning_');
}

/** The dispute ended in the platform's favour: won, or the withdrawn funds reinstated. */
export function isReturned(d: DisputeRecord): boolean {
  return d.status === 'won' || d.fundsReinstated;
}

/** A reversal is made while the dispute is an open or lost chargeback; never once it is won or closed as an inquiry. */
function reversalDue(d: DisputeRecord): boolean {
  return isChargeback(d) && !isReturned(d) && d.status !== 'warning_closed' && d.status !== 'prevented';
}

const PENDING: DisputeMoveStep = { status: 'pending', stripeId: null, at: null };

/** The moves to store for the policy's recoveries (vendors with 0 are left out). */
export function planDisputeMoves(
  recoveries: readonly DisputeRecovery[],
  accounts: ReadonlyMap<string, string>,
): DisputeVendorMove[] {
  return recoveries
    .filter((r) => r.amount > 0)
    .map((r) => ({
      vendorId: r.vendorId,
      accountId: accounts.get(r.vendorId) as string,
      amount: r.amount,
      reversal: PENDING,
      repayment: PENDING,
    }));
}

/**
 * The Stripe calls the dispute needs now: a reversal per pending move while the dispute is an open or lost
 * chargeback, and a repayment per reversed move once it is won (funds reinstated). Nothing twice: a move
 * recorded `done` is never asked for again.
 */
export function disputeActions(d: DisputeRecord): DisputeAction[] {
  const actions: DisputeAction[] = [];
  for (const m of d.moves ?? []) {
    const base = { disputeId: d.disputeId, orderId: d.orderId, vendorId: m.vendorId, accountId: m.accountId };
    const money = { amount: m.amount, currency: d.currency };
    if (m.reversal.status !== 'done' && reversalDue(d)) {
      actions.push({ kind: 'reversal', ...base, ...money, idempotencyKey: disputeMoveKey(d.disputeId, 'reversal', m.vendorId) });
    }
    if (m.reversal.status === 'done' && m.repayment.status !== 'done' && isReturned(d)) {
      actions.push({
        kind: 'repayment',
        ...base,
        ...money,
        idempotencyKey: disputeMoveKey(d.disputeId, 'repayment', m.vendorId),
      });
    }
  }
  return actions;
}

/**
 * The dispute record with its moves brought up to date: the plan adopted when the record has none and the
 * dispute is a chargeback; each result recorded `done` (whatever the step said before: Stripe made it);
 * every step not done set to `pending` or `skipped` from the dispute as it now stands (a reversal is skipped
 * once the dispute is won or closed as an inquiry before it was made; a repayment is skipped when the
 * dispute is lost or nothing was reversed). Returns `d` itself when nothing changed.
 */
export function decideDisputeMoves(
  d: DisputeRecord,
  plan: readonly DisputeVendorMove[] | null,
  results: readonly DisputeMoveResult[],
  now: number,
): DisputeRecord {
  const current = d.moves ?? null;
  const moves = current === null && plan !== null && isChargeback(d) ? plan : current;
  if (moves === null) return d;
  const next = moves.map((m) => {
    const done = (kind: DisputeMoveKind, step: DisputeMoveStep): DisputeMoveStep => {
      if (step.status === 'done') return step;
      const result = results.find((r) => r.kind === kind && r.vendorId === m.vendorId);
      return result ? { status: 'done', stripeId: result.stripeId, at: now } : step;
    };
    const reversal = settle(done('reversal', m.reversal), reversalDue(d) || !isChargeback(d) ? 'pending' : 'skipped', now);
    const repaymentStep = done('repayment', m.repayment);
    const repayment = settle(repaymentStep, reversal.status === 'skipped' || d.status === 'lost' ? 'skipped' : 'pending', now);
    return reversal === m.reversal && repayment === m.repayment ? m : { ...m, reversal, repayment };
  });
  const changed = current === null || next.some((m, i) => m !== current[i]);
  return changed ? { ...d, moves: next, updatedAt: now } : d;
}

function settle(step: DisputeMoveStep, status: 'pending' | 'skipped', now: number): DisputeMoveStep {
  if (step.status === 'done' || step.status === status) return step;
  return status === 'pending' ? PENDING : { status: 'skipped', stripeId: null, at: now };
}
