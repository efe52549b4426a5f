import { describe, expect, it } from 'vitest';
import { proportionalRefund, type RefundLine, splitRefund } from '../../src/core/money/refund.js';
import { reserveRefund } from '../../src/core/projectors/refund.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';

const line = (vendorId: string, amount: number, fee: number, refunded = 0): RefundLine => ({
  vendorId,
  amount,
  applicationFeeAmount: fee,
  vendorAmount: amount - fee,
  refunded,
  vendorBore: 0,
  feeReturned: 0,
});

const cart = () =>
  orderRecord('cart_1', {
    chargeType: 'separate',
    status: 'succeeded',
    amount: 3500,
    applicationFeeAmount: 420,
    vendorAmount: 3080,
    items: [
      { vendorId: 'ann', accountId: 'acct_a', amount: 1500, applicationFeeAmount: 180, vendorAmount: 1320, description: null },
      { vendorId: 'bob', accountId: 'acct_b', amount: 999, applicationFeeAmount: 120, vendorAmount: 879, description: null },
      { vendorId: 'cat', accountId: 'acct_c', amount: 1001, applicationFeeAmount: 120, vendorAmount: 881, description: null },
    ],
  });

describe('cart refunds by item (explicit allocation)', () => {
  it('splits each named part by the policy; the parts add up to the refund and each to its amount', () => {
    const lines = [line('ann', 1500, 180), line('bob', 999, 120), line('cat', 1001, 120)];
    const parts = splitRefund(proportionalRefund(), {
      orderId: 'cart_1',
      currency: 'gbp',
      chargeType: 'separate',
      lines,
      amount: 700,
      allocation: [0, 500, 200],
    });
    expect(parts.map((p) => [p.vendorId, p.amount, p.vendorBears, p.platformBears])).toEqual([
      ['ann', 0, 0, 0],
      ['bob', 500, 440, 60], // 879 * 500 / 999 = 439.94 -> 440
      ['cat', 200, 176, 24], // 881 * 200 / 1001 = 176.02 -> 176
    ]);
    expect(parts.reduce((s, p) => s + p.amount, 0)).toBe(700);
    for (const p of parts) expect(p.vendorBears + p.platformBears).toBe(p.amount);
  });

  it('refuses an allocation that does not add up, or that exceeds what a line has left', () => {
    const lines = [line('ann', 1500, 180), line('bob', 999, 120, 900)];
    const split = (allocation: number[], amount: number) =>
      splitRefund(proportionalRefund(), { orderId: 'o', currency: 'gbp', chargeType: 'separate', lines, amount, allocation });
    expect(() => split([100, 0], 200)).toThrow(RangeError);
    expect(() => split([0, 100], 100)).toThrow(/outside 0..99/);
    expect(() => split([100], 100)).toThrow(/one part per line/);
  });

  it("reserving names each vendor's item; an item's amount defaults to what is left of it", () => {
    const { order, hold } = reserveRefund(
      cart(),
      { refundId: 'r1', amount: undefined, items: [{ vendorId: 'bob', amount: undefined }] },
      proportionalRefund(),
      1,
    );
    expect(hold.amount).toBe(999);
    expect(hold.parts.map((p) => [p.vendorId, p.amount, p.vendorBears])).toEqual([
      ['ann', 0, 0],
      ['bob', 999, 879],
      ['cat', 0, 0],
    ]);
    const again = () =>
      reserveRefund(
        order ?? cart(),
        { refundId: 'r2', amount: undefined, items: [{ vendorId: 'bob', amount: 1 }] },
        proportionalRefund(),
        2,
      );
    expect(again).toThrow(/exceeds the 0 left/);
  });
});
