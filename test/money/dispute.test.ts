import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  disputePolicyContext,
  platformBearsDisputes,
  resolveDisputeRecoveries,
  splitLargestRemainder,
  vendorBearsDisputes,
  type DisputePolicy,
} from '../../src/core/money/dispute.js';
import type { OrderItem, OrderRecord } from '../../src/core/records.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';

// Stripe debits a destination charge's (or a separate charge's) dispute from the platform and leaves the transfers
// alone; the platform may reverse the transfer and pay it back when the dispute is won:
// https://docs.stripe.com/disputes/connect. A destination charge's transfer is the whole charge amount, the application
// fee collected apart, and reversing it is allowed up to the charge amount: https://docs.stripe.com/api/transfer_reversals.

const item = (vendorId: string, amount: number, fee: number): OrderItem => ({
  vendorId,
  accountId: `acct_${vendorId}`,
  amount,
  applicationFeeAmount: fee,
  vendorAmount: amount - fee,
  description: null,
});

const cart = (items: OrderItem[]): OrderRecord =>
  orderRecord('cart_1', {
    chargeType: 'separate',
    items,
    amount: items.reduce((a, i) => a + i.amount, 0),
    applicationFeeAmount: items.reduce((a, i) => a + i.applicationFeeAmount, 0),
    vendorAmount: items.reduce((a, i) => a + i.vendorAmount, 0),
  });

const destination = (amount: number, fee: number) =>
  orderRecord('o1', {
    chargeType: 'destination',
    vendorId: 'v1',
    accountId: 'acct_v1',
    amount,
    applicationFeeAmount: fee,
    vendorAmount: amount - fee,
    items: [item('v1', amount, fee)],
  });

describe('splitLargestRemainder', () => {
  it('splits in proportion and gives the units left to the largest remainders, the earlier first on a tie', () => {
    expect(splitLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitLargestRemainder(10, [3, 7])).toEqual([3, 7]);
    expect(splitLargestRemainder(5, [1500, 500])).toEqual([4, 1]);
    expect(splitLargestRemainder(7, [2, 0, 5])).toEqual([2, 0, 5]);
    expect(splitLargestRemainder(0, [0, 0])).toEqual([0, 0]);
  });

  it('refuses what it cannot split', () => {
    expect(() => splitLargestRemainder(1, [0, 0])).toThrow(RangeError);
    expect(() => splitLargestRemainder(1.5, [1])).toThrow(RangeError);
    expect(() => splitLargestRemainder(5, [-1, 2])).toThrow(RangeError);
  });

  it('always adds up to the total exactly, each part within one unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.array(fc.integer({ min: 0, max: 99_999_999 }), { minLength: 1, maxLength: 8 }).filter((w) => w.some((x) => x > 0)),
        (total, weights) => {
          const parts = splitLargestRemainder(total, weights);
          const sum = weights.reduce((a, b) => a + b, 0);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          parts.forEach((part, i) => {
            const exact = (total * (weights[i] as number)) / sum;
            expect(part).toBeGreaterThanOrEqual(Math.floor(exact));
            expect(part).toBeLessThanOrEqual(Math.ceil(exact));
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('disputePolicyContext', () => {
  it('groups a cart by vendor, splits the disputed amount by item amount and knows what each transfer can give back', () => {
    const ctx = disputePolicyContext(cart([item('a', 1000, 120), item('b', 500, 60), item('a', 500, 60)]), {
      disputeId: 'du_1',
      amount: 1001,
      reason: 'fraudulent',
    });
    expect(ctx).toMatchObject({ disputeId: 'du_1', orderId: 'cart_1', amount: 1001, chargeAmount: 2000, chargeType: 'separate' });
    expect(ctx.vendors).toEqual([
      {
        vendorId: 'a',
        accountId: 'acct_a',
        amount: 1500,
        applicationFeeAmount: 180,
        vendorAmount: 1320,
        disputedAmount: 751,
        reversible: 1320,
      },
      {
        vendorId: 'b',
        accountId: 'acct_b',
        amount: 500,
        applicationFeeAmount: 60,
        vendorAmount: 440,
        disputedAmount: 250,
        reversible: 440,
      },
    ]);
  });

  it('lets a destination charge reverse up to the charge amount (its transfer is the whole charge)', () => {
    const ctx = disputePolicyContext(destination(2000, 240), { disputeId: 'du_1', amount: 2000, reason: null });
    expect(ctx.vendors).toEqual([
      {
        vendorId: 'v1',
        accountId: 'acct_v1',
        amount: 2000,
        applicationFeeAmount: 240,
        vendorAmount: 1760,
        disputedAmount: 2000,
        reversible: 2000,
      },
    ]);
  });
});

describe('built-in dispute policies', () => {
  it('platformBearsDisputes moves nothing', () => {
    const ctx = disputePolicyContext(destination(2000, 240), { disputeId: 'du_1', amount: 2000, reason: null });
    expect(resolveDisputeRecoveries(platformBearsDisputes(), ctx)).toEqual([{ vendorId: 'v1', amount: 0 }]);
  });

  it('vendorBearsDisputes takes back what the vendor received for the disputed part', () => {
    const full = disputePolicyContext(destination(2000, 240), { disputeId: 'du_1', amount: 2000, reason: null });
    expect(resolveDisputeRecoveries(vendorBearsDisputes(), full)).toEqual([{ vendorId: 'v1', amount: 1760 }]);
    // Half disputed: the vendor gives back 1000 minus the fee on it (120).
    const half = disputePolicyContext(destination(2000, 240), { disputeId: 'du_1', amount: 1000, reason: null });
    expect(resolveDisputeRecoveries(vendorBearsDisputes(), half)).toEqual([{ vendorId: 'v1', amount: 880 }]);
    // The fee share rounds half up: 1 disputed of 3 with a fee of 1 is a fee share of 0.33 -> 0.
    const tiny = disputePolicyContext(destination(3, 1), { disputeId: 'du_1', amount: 1, reason: null });
    expect(resolveDisputeRecoveries(vendorBearsDisputes(), tiny)).toEqual([{ vendorId: 'v1', amount: 1 }]);
  });

  it('vendorBearsDisputes splits a cart dispute per vendor; recoveries plus the platform part add up to the disputed amount', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 100 })).map(([amount, pct]) => ({
            amount,
            fee: Math.floor((amount * pct) / 100),
          })),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 100 }),
        (lines, disputedPct) => {
          const order = cart(lines.map((l, i) => item(`v${i}`, l.amount, l.fee)));
          const disputed = Math.floor((order.amount * disputedPct) / 100);
          const ctx = disputePolicyContext(order, { disputeId: 'du_1', amount: disputed, reason: null });
          expect(ctx.vendors.reduce((a, v) => a + v.disputedAmount, 0)).toBe(disputed);
          const recoveries = resolveDisputeRecoveries(vendorBearsDisputes(), ctx);
          recoveries.forEach((r, i) => {
            const v = ctx.vendors[i];
            expect(r.vendorId).toBe(v?.vendorId);
            expect(r.amount).toBeGreaterThanOrEqual(0);
            expect(r.amount).toBeLessThanOrEqual(v?.vendorAmount as number);
            expect(r.amount).toBeLessThanOrEqual(v?.disputedAmount as number);
          });
          const platformPart = disputed - recoveries.reduce((a, r) => a + r.amount, 0);
          expect(platformPart).toBeGreaterThanOrEqual(0);
          expect(platformPart).toBeLessThanOrEqual(order.applicationFeeAmount);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('resolveDisputeRecoveries', () => {
  const ctx = disputePolicyContext(cart([item('a', 1500, 180), item('b', 500, 60)]), {
    disputeId: 'du_1',
    amount: 2000,
    reason: null,
  });
  const refused = (policy: DisputePolicy) => {
    try {
      resolveDisputeRecoveries(policy, ctx);
    } catch (error) {
      return error as { code: string; message: string; details: Record<string, unknown> };
    }
    throw new Error('expected INVALID_DISPUTE_POLICY');
  };

  it('fills in vendors the policy left out with 0, in the order of the context', () => {
    expect(resolveDisputeRecoveries(() => [{ vendorId: 'b', amount: 440 }], ctx)).toEqual([
      { vendorId: 'a', amount: 0 },
      { vendorId: 'b', amount: 440 },
    ]);
  });

  it('refuses unknown or repeated vendors, bad amounts, too much in total, a throw and a non-array', () => {
    expect(refused(() => [{ vendorId: 'zz', amount: 1 }]).message).toContain('unknown vendor');
    expect(
      refused(() => [
        { vendorId: 'a', amount: 1 },
        { vendorId: 'a', amount: 1 },
      ]).message,
    ).toContain('twice');
    expect(refused(() => [{ vendorId: 'a', amount: 1.5 }]).message).toContain('from 0 to 1320');
    expect(refused(() => [{ vendorId: 'a', amount: -1 }]).code).toBe('INVALID_DISPUTE_POLICY');
    expect(refused(() => [{ vendorId: 'b', amount: 441 }]).message).toContain('from 0 to 440');
    expect(refused(() => [{ vendorId: 'a', amount: Number.NaN }]).code).toBe('INVALID_DISPUTE_POLICY');
    const small = disputePolicyContext(cart([item('a', 1500, 0), item('b', 500, 0)]), {
      disputeId: 'du_2',
      amount: 100,
      reason: null,
    });
    expect(() =>
      resolveDisputeRecoveries(
        () => [
          { vendorId: 'a', amount: 60 },
          { vendorId: 'b', amount: 41 },
        ],
        small,
      ),
    ).toThrow(/more than the disputed 100/);
    const thrown = refused(() => {
      throw new Error('boom');
    });
    expect(thrown).toMatchObject({ code: 'INVALID_DISPUTE_POLICY', details: { disputeId: 'du_1', orderId: 'cart_1' } });
    expect(thrown.message).toContain('boom');
    expect(refused((() => 'all') as unknown as DisputePolicy).message).toContain('must return an array');
  });
});
