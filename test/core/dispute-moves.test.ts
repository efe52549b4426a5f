import { describe, expect, it } from 'vitest';
import { decideDisputeMoves, disputeActions, disputeMoveKey, planDisputeMoves } from '../../src/core/projectors/dispute-moves.js';
import type { DisputeRecord, DisputeStatus } from '../../src/core/records.js';

// A chargeback withdraws the funds when it opens and reinstates them when won; an inquiry (warning_*) moves no money
// (https://docs.stripe.com/disputes/how-disputes-work, https://docs.stripe.com/api/disputes/object).

const NOW = 1_800_000_000_000;
const plan = planDisputeMoves(
  [
    { vendorId: 'a', amount: 700 },
    { vendorId: 'b', amount: 0 },
    { vendorId: 'c', amount: 300 },
  ],
  new Map([
    ['a', 'acct_a'],
    ['b', 'acct_b'],
    ['c', 'acct_c'],
  ]),
);

const record = (status: DisputeStatus, overrides: Partial<DisputeRecord> = {}): DisputeRecord => ({
  disputeId: 'du_1',
  orderId: 'cart_1',
  chargeId: 'ch_1',
  amount: 1000,
  currency: 'gbp',
  status,
  reason: 'fraudulent',
  fundsWithdrawn: !status.startsWith('warning_'),
  fundsReinstated: status === 'won',
  createdAt: NOW,
  updatedAt: NOW,
  ...overrides,
});

const kinds = (d: DisputeRecord) => disputeActions(d).map((a) => `${a.kind}:${a.vendorId}:${a.amount}:${a.idempotencyKey}`);

describe('dispute money moves (pure)', () => {
  it('plans one move per vendor the policy takes something from', () => {
    expect(plan.map((m) => [m.vendorId, m.accountId, m.amount, m.reversal.status, m.repayment.status])).toEqual([
      ['a', 'acct_a', 700, 'pending', 'pending'],
      ['c', 'acct_c', 300, 'pending', 'pending'],
    ]);
    expect(disputeMoveKey('du_1', 'repayment', 'a')).toBe('dispute:du_1:repay:a');
  });

  it('adopts the plan only for a chargeback, and asks for the reversals while it is open or lost', () => {
    expect(decideDisputeMoves(record('warning_needs_response'), plan, [], NOW).moves).toBeUndefined();
    const open = decideDisputeMoves(record('needs_response'), plan, [], NOW);
    expect(kinds(open)).toEqual(['reversal:a:700:dispute:du_1:reversal:a', 'reversal:c:300:dispute:du_1:reversal:c']);
    expect(kinds({ ...open, status: 'lost' })).toHaveLength(2);
    // Adopted once: a later plan does not replace it.
    expect(decideDisputeMoves(open, [], [], NOW).moves).toBe(open.moves);
  });

  it('records results once, then asks for the repayments when won and skips them when lost', () => {
    const open = decideDisputeMoves(record('under_review'), plan, [], NOW);
    const reversed = decideDisputeMoves(
      open,
      null,
      [
        { kind: 'reversal', vendorId: 'a', stripeId: 'trr_a' },
        { kind: 'reversal', vendorId: 'c', stripeId: 'trr_c' },
      ],
      NOW + 1,
    );
    expect(reversed.moves?.map((m) => m.reversal)).toEqual([
      { status: 'done', stripeId: 'trr_a', at: NOW + 1 },
      { status: 'done', stripeId: 'trr_c', at: NOW + 1 },
    ]);
    expect(disputeActions(reversed)).toEqual([]);
    // The same results again change nothing.
    expect(decideDisputeMoves(reversed, null, [{ kind: 'reversal', vendorId: 'a', stripeId: 'trr_other' }], NOW + 2)).toBe(
      reversed,
    );
    const won = { ...reversed, status: 'won' as const, fundsReinstated: true };
    expect(kinds(won)).toEqual(['repayment:a:700:dispute:du_1:repay:a', 'repayment:c:300:dispute:du_1:repay:c']);
    const lost = decideDisputeMoves({ ...reversed, status: 'lost' }, null, [], NOW + 3);
    expect(lost.moves?.map((m) => m.repayment.status)).toEqual(['skipped', 'skipped']);
    expect(disputeActions(lost)).toEqual([]);
  });

  it('skips a reversal the outcome made unneeded, but records it done if Stripe made it after all (then repays it)', () => {
    const won = decideDisputeMoves(record('won'), plan, [], NOW);
    expect(won.moves?.map((m) => [m.reversal.status, m.repayment.status])).toEqual([
      ['skipped', 'skipped'],
      ['skipped', 'skipped'],
    ]);
    expect(disputeActions(won)).toEqual([]);
    const late = decideDisputeMoves(won, null, [{ kind: 'reversal', vendorId: 'a', stripeId: 'trr_a' }], NOW + 1);
    expect(late.moves?.map((m) => [m.reversal.status, m.repayment.status])).toEqual([
      ['done', 'pending'],
      ['skipped', 'skipped'],
    ]);
    expect(kinds(late)).toEqual(['repayment:a:700:dispute:du_1:repay:a']);
  });
});
