import { describe, expect, it } from 'vitest';
import type { OrderRecord, TransferRecord } from '../../src/core/records.js';
import {
  claimTransfer,
  holdTransfer,
  isDue,
  plannedTransfers,
  releaseTransfer,
  transferAttemptFailed,
  transferBackoffMs,
  transferCreated,
} from '../../src/core/transfers.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';

const NOW = 1_767_225_600_000;

function cart(overrides: Partial<OrderRecord> = {}): OrderRecord {
  const items = [
    { vendorId: 'ann', accountId: 'acct_ann', amount: 1500, applicationFeeAmount: 180, vendorAmount: 1320, description: null },
    { vendorId: 'bob', accountId: 'acct_bob', amount: 500, applicationFeeAmount: 500, vendorAmount: 0, description: null },
    { vendorId: 'cat', accountId: 'acct_cat', amount: 1000, applicationFeeAmount: 120, vendorAmount: 880, description: null },
  ];
  return orderRecord('cart_1', {
    chargeType: 'separate',
    vendorId: 'ann',
    accountId: 'acct_ann',
    amount: 3000,
    applicationFeeAmount: 800,
    vendorAmount: 2200,
    items,
    status: 'succeeded',
    ...overrides,
  });
}

describe('cart transfer rules', () => {
  it('a paid cart owes one transfer per vendor of its vendor amount; an item whose fee is all of it owes none', () => {
    const planned = plannedTransfers(cart(), NOW);
    expect(planned.map((t) => [t.transferId, t.accountId, t.amount, t.status, t.transferGroup])).toEqual([
      ['cart_1:ann', 'acct_ann', 1320, 'pending', 'cart_1'],
      ['cart_1:cat', 'acct_cat', 880, 'pending', 'cart_1'],
    ]);
    expect(planned.reduce((s, t) => s + t.amount, 0)).toBe(cart().vendorAmount);
    expect(plannedTransfers(cart({ status: 'partially_refunded' }), NOW)).toHaveLength(2);
    for (const status of ['pending', 'processing', 'failed', 'refunded', 'canceled'] as const) {
      expect(plannedTransfers(cart({ status }), NOW)).toEqual([]);
    }
    expect(plannedTransfers(orderRecord('single', { status: 'succeeded' }), NOW)).toEqual([]);
  });

  it('a claim is taken once while it lives; it can be taken again after it runs out', () => {
    const [transfer] = plannedTransfers(cart(), NOW) as [TransferRecord];
    const claimed = claimTransfer(transfer, NOW, 1000);
    expect(claimed).toMatchObject({ attempts: 1, claimedUntil: NOW + 1000 });
    expect(claimTransfer(claimed as TransferRecord, NOW + 999, 1000)).toBeNull();
    expect(claimTransfer(claimed as TransferRecord, NOW + 1000, 1000)).toMatchObject({ attempts: 2, claimedUntil: NOW + 2000 });
  });

  it('paid and held transfers are not claimed; held ones are released to pending', () => {
    const [transfer] = plannedTransfers(cart(), NOW) as [TransferRecord];
    const paid = transferCreated(transfer, 'tr_1', NOW) as TransferRecord;
    expect(paid).toMatchObject({ status: 'paid', stripeTransferId: 'tr_1', claimedUntil: null });
    expect(claimTransfer(paid, NOW)).toBeNull();
    expect(transferCreated(paid, 'tr_1', NOW)).toBeNull();
    expect(holdTransfer(paid, 'x', NOW)).toBeNull();
    const held = holdTransfer(transfer, 'not ready', NOW) as TransferRecord;
    expect(held).toMatchObject({ status: 'held', lastError: 'not ready' });
    expect(claimTransfer(held, NOW)).toBeNull();
    expect(releaseTransfer(transfer, NOW)).toBeNull();
    expect(releaseTransfer(held, NOW)).toMatchObject({ status: 'pending', nextAttemptAt: null });
  });

  it('a failed attempt waits 2^attempts seconds (at most an hour) before it is due again', () => {
    const [transfer] = plannedTransfers(cart(), NOW) as [TransferRecord];
    const claimed = claimTransfer(transfer, NOW) as TransferRecord;
    const failed = transferAttemptFailed(claimed, 'down', NOW) as TransferRecord;
    expect(failed).toMatchObject({ status: 'pending', claimedUntil: null, nextAttemptAt: NOW + 2000, lastError: 'down' });
    expect(isDue(failed, NOW + 1999)).toBe(false);
    expect(isDue(failed, NOW + 2000)).toBe(true);
    expect([0, 1, 5, 12, 40].map(transferBackoffMs)).toEqual([1000, 2000, 32_000, 3_600_000, 3_600_000]);
  });
});
