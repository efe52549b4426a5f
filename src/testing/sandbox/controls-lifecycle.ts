/**
 * Test-only controls for the lifecycle objects: what the card network or the bank decides outside the API
 * (a dispute's outcome) and what happens as time passes (settlement, payouts). The `Sandbox` class exposes them.
 */
import type Stripe from 'stripe';
import type { SandboxCore } from './core/core.js';
import { clone } from './core/util.js';
import { noSuch } from './errors.js';
import { closeDispute as close, DISPUTES } from './resources/disputes.js';
import { settle } from './resources/settlement.js';
import { failRefund as fail } from './resources/refunds.js';

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

/** Fails a refund after the fact, as a card network may (`lost_or_stolen_card`, `expired_or_canceled_card`, `unknown`). */
export function failRefund(core: SandboxCore, refundId: string, reason = 'expired_or_canceled_card'): Stripe.Refund {
  return clone(core.withRequest({ account: core.platformId, path: `/refunds/${refundId}` }, () => fail(core, refundId, reason)));
}
