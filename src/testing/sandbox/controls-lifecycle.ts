/**
 * Test-only controls for the lifecycle objects: what the card network or the bank decides outside the API
 * (a dispute's outcome) and what happens as time passes (settlement, payouts). The `Sandbox` class exposes them.
 */
import type Stripe from 'stripe';
import type { SandboxCore } from './core/core.js';
import { clone } from './core/util.js';
import { noSuch } from './errors.js';
import { closeDispute as close, DISPUTES } from './resources/disputes.js';
import { failPayout as failPayoutNow, PAYOUT_FAILURES, PAYOUTS } from './resources/payouts.js';
import { settle } from './resources/settlement.js';
import { failRefund as failStripeRefund } from './resources/refunds.js';

/** Closes an open dispute as the card network decides it: `won` reinstates the withdrawn funds, `lost` keeps them withdrawn. */
export function closeDispute(core: SandboxCore, disputeId: string, outcome: 'won' | 'lost'): Stripe.Dispute {
  if (outcome !== 'won' && outcome !== 'lost') throw new TypeError("closeDispute takes 'won' or 'lost'");
  const stored = core.state(DISPUTES).get(disputeId);
  if (!stored) throw noSuch('dispute', disputeId);
  return clone(core.withRequest({ account: stored.owner, path: `/disputes/${disputeId}` }, () => close(core, stored, outcome)));
}

/** Moves the clock forward, then settles what came due: pending funds, payouts, automatic payouts. */
export function advanceTime(core: SandboxCore, ms: number): void {
  core.advanceTime(ms);
  settle(core);
}

/**
 * Fails a payout as the bank would: a pending or in-transit payout, or one already `paid` (Stripe reports some failures
 * after `paid`). `failureCode` is one of `PAYOUT_FAILURES` (default `account_closed`).
 */
export function failPayout(core: SandboxCore, payoutId: string, failureCode = 'account_closed'): Stripe.Payout {
  const message = PAYOUT_FAILURES[failureCode];
  if (message === undefined) {
    throw new TypeError(`failPayout takes a failure code among ${Object.keys(PAYOUT_FAILURES).join(', ')}`);
  }
  const stored = core.state(PAYOUTS).get(payoutId);
  if (!stored) throw noSuch('payout', payoutId);
  if (!['pending', 'in_transit', 'paid'].includes(stored.obj.status)) {
    throw new TypeError(`failPayout: the payout is ${stored.obj.status}; only a pending, in-transit or paid payout can fail`);
  }
  return clone(
    core.withRequest({ account: stored.owner, path: `/payouts/${payoutId}` }, () => {
      failPayoutNow(core, stored, { code: failureCode, message });
      return stored.obj;
    }),
  );
}

/** Fails a refund after the fact, as a card network may (`lost_or_stolen_card`, `expired_or_canceled_card`, `unknown`). */
export function failRefund(core: SandboxCore, refundId: string, reason = 'expired_or_canceled_card'): Stripe.Refund {
  return clone(
    core.withRequest({ account: core.platformId, path: `/refunds/${refundId}` }, () => failStripeRefund(core, refundId, reason)),
  );
}
