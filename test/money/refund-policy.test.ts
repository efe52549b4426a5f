import { describe, expect, it } from 'vitest';
import {
  allocateRefund,
  isMarketplaceError,
  platformBearsRefund,
  platformKeepsFee,
  proportionalRefund,
  type RefundLine,
  type RefundPart,
  type RefundPolicy,
  splitRefund,
} from '../../src/index.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

/** Refunds `amounts` one after another (the last taking all that is left), accumulating what each line moved. */
function refundAll(policy: RefundPolicy, lines: RefundLine[], amounts: number[], chargeType: 'destination' | 'separate') {
  let current = lines.map((l) => ({ ...l }));
  const all: RefundPart[][] = [];
  for (const amount of amounts) {
    const parts = splitRefund(policy, { orderId: 'o', currency: 'gbp', chargeType, lines: current, amount });
    expect(parts.reduce((s, p) => s + p.amount, 0)).toBe(amount);
    for (const p of parts) {
      expect(p.vendorBears + p.platformBears).toBe(p.amount);
      expect(p.feeReturned).toBeLessThanOrEqual(p.platformBears);
      expect(Math.min(p.vendorBears, p.feeReturned, p.platformBears, p.amount)).toBeGreaterThanOrEqual(0);
    }
    current = current.map((l, i) => ({
      ...l,
      refunded: l.refunded + (parts[i] as RefundPart).amount,
      vendorBore: l.vendorBore + (parts[i] as RefundPart).vendorBears,
      feeReturned: l.feeReturned + (parts[i] as RefundPart).feeReturned,
    }));
    all.push(parts);
  }
  return current;
}

const line = (vendorId: string, amount: number, fee: number): RefundLine => ({
  vendorId,
  amount,
  applicationFeeAmount: fee,
  vendorAmount: amount - fee,
  refunded: 0,
  vendorBore: 0,
  feeReturned: 0,
});

describe('refund policies', () => {
  it('proportionalRefund: cumulative half-up shares; a full refund moves exactly the vendor amount and the fee', () => {
    const parts = splitRefund(proportionalRefund(), {
      orderId: 'o',
      currency: 'gbp',
      chargeType: 'destination',
      lines: [line('v', 2001, 240)],
      amount: 333,
    });
    // round_half_up(1761 * 333 / 2001) = round(293.06) = 293
    expect(parts).toEqual([{ vendorId: 'v', amount: 333, vendorBears: 293, platformBears: 40, feeReturned: 40 }]);
    const rnd = prng(7);
    for (let run = 0; run < 300; run++) {
      const count = 1 + rnd(3);
      const lines = Array.from({ length: count }, (_, i) => {
        const amount = 50 + rnd(5000);
        return line(`v${i}`, amount, rnd(amount + 1));
      });
      const total = lines.reduce((s, l) => s + l.amount, 0);
      const amounts: number[] = [];
      let left = total;
      while (left > 0) {
        const a = rnd(3) === 0 ? left : Math.min(left, 1 + rnd(Math.max(1, Math.floor(total / 3))));
        amounts.push(a);
        left -= a;
      }
      const end = refundAll(proportionalRefund(), lines, amounts, count > 1 ? 'separate' : 'destination');
      for (const [i, l] of end.entries()) {
        const original = lines[i] as RefundLine;
        expect(l.refunded).toBe(original.amount);
        expect(l.vendorBore).toBe(original.vendorAmount);
        expect(l.feeReturned).toBe(original.applicationFeeAmount);
      }
    }
  });

  it('platformKeepsFee: the vendor bears everything on a destination charge, at most what it received on separate charges', () => {
    const [dest] = refundAll(platformKeepsFee(), [line('v', 2000, 240)], [500, 1500], 'destination');
    expect(dest).toMatchObject({ refunded: 2000, vendorBore: 2000, feeReturned: 0 });
    const [sep] = refundAll(platformKeepsFee(), [line('v', 2000, 240)], [500, 1500], 'separate');
    expect(sep).toMatchObject({ refunded: 2000, vendorBore: 1760, feeReturned: 0 });
  });

  it('platformBearsRefund: the vendor bears nothing', () => {
    const [end] = refundAll(platformBearsRefund(), [line('v', 2000, 240)], [700, 1300], 'destination');
    expect(end).toMatchObject({ refunded: 2000, vendorBore: 0, feeReturned: 0 });
  });

  it('allocates a cart refund across vendors exactly, never beyond what a line has left', () => {
    expect(allocateRefund([line('a', 1500, 150), line('b', 500, 50)], 1001)).toEqual([751, 250]);
    expect(() => allocateRefund([line('a', 100, 0)], 101)).toThrow(RangeError);
  });

  it('refuses a policy answer out of bounds with INVALID_REFUND_POLICY', () => {
    const input = {
      orderId: 'o',
      currency: 'gbp',
      chargeType: 'destination' as const,
      lines: [line('v', 2000, 240)],
      amount: 500,
    };
    for (const bad of [
      () => ({ vendorBears: 0.5, feeReturned: 0 }),
      () => ({ vendorBears: -1, feeReturned: 0 }),
      () => ({ vendorBears: 400, feeReturned: 200 }),
      () => ({ vendorBears: 0, feeReturned: 241 }),
      () => {
        throw new Error('boom');
      },
    ] as RefundPolicy[]) {
      let error: unknown;
      try {
        splitRefund(bad, input);
      } catch (e) {
        error = e;
      }
      expect(isMarketplaceError(error, 'INVALID_REFUND_POLICY')).toBe(true);
    }
  });
});
