import { describe, expect, it } from 'vitest';
import { newOrder } from '../../src/core/orders.js';

const item = (vendorId: string, amount: number, fee: number) => ({
  vendorId,
  accountId: `acct_${vendorId}`,
  amount,
  applicationFeeAmount: fee,
  vendorAmount: amount - fee,
  description: null,
});

describe('newOrder', () => {
  it('sums its items: amount, fee and vendor amount add up exactly, and the first item names the vendor', () => {
    const order = newOrder({
      orderId: 'o1',
      mode: 'embedded',
      chargeType: 'separate',
      currency: 'gbp',
      items: [item('ann', 1500, 180), item('bob', 999, 120), item('cat', 1001, 120)],
      description: null,
      metadata: {},
      now: 1,
    });
    expect(order).toMatchObject({
      amount: 3500,
      applicationFeeAmount: 420,
      vendorAmount: 3080,
      vendorId: 'ann',
      status: 'pending',
    });
    expect(order.vendorAmount).toBe(order.items.reduce((sum, i) => sum + i.vendorAmount, 0));
  });

  it('refuses an order without items', () => {
    expect(() =>
      newOrder({
        orderId: 'o2',
        mode: 'hosted',
        chargeType: 'separate',
        currency: 'gbp',
        items: [],
        description: null,
        metadata: {},
        now: 1,
      }),
    ).toThrow(RangeError);
  });
});
