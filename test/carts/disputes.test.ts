import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { DisputeRecord } from '../../src/core/records.js';
import { vendorBearsDisputes } from '../../src/index.js';
import { cartWorld, ITEMS, payCart } from './helpers.js';

// A dispute on a cart (separate charges and transfers): Stripe debits the platform; the dispute policy says what each
// vendor gives back, split by the largest remainder over the items, reversed from each vendor's own transfer (made by
// the cart's settlement) and paid back if the dispute is won (https://docs.stripe.com/disputes/connect,
// https://docs.stripe.com/connect/separate-charges-and-transfers). The test card pm_card_createDispute opens a
// chargeback (https://docs.stripe.com/testing#disputes).

describe('a dispute on a cart', () => {
  it('is split across the vendors by the dispute policy, reversed from the transfers the cart made, and repaid when won', async () => {
    const w = await cartWorld(undefined, { disputePolicy: vendorBearsDisputes() });
    const cart = await payCart(w, 'cart_disputed', ITEMS, 'pm_card_createDispute');
    const paid = cart.intent;
    const [dispute] = (await w.stripe.disputes.list({ charge: paid.latest_charge as string })).data;
    const disputeId = (dispute as Stripe.Dispute).id;
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);

    const transfers = await w.market.listTransfers('cart_disputed');
    expect(transfers.map((t) => t.status)).toEqual(['paid', 'paid', 'paid']);
    const record = (await w.market.storage.get<DisputeRecord>('dispute', disputeId))?.data;
    const moves = record?.moves ?? [];
    expect(moves.map((m) => [m.vendorId, m.reversal.status])).toEqual([
      ['ann', 'done'],
      ['bob', 'done'],
      ['cat', 'done'],
    ]);
    // Each vendor gives back at most what it received; with the platform's fees the parts make the disputed amount.
    for (const move of moves) {
      const transfer = transfers.find((t) => t.vendorId === move.vendorId);
      expect(move.amount).toBeLessThanOrEqual(transfer?.amount ?? -1);
      const reversed = (await w.stripe.transfers.listReversals(transfer?.stripeTransferId as string)).data;
      expect(reversed.map((r) => r.amount)).toEqual([move.amount]);
    }
    expect(moves.reduce((s, m) => s + m.amount, 0) + cart.applicationFeeAmount).toBe(record?.amount);
    expect(record?.amount).toBe(3500);
    const balanceOf = (account: string) => w.sandbox.balances().find((b) => b.account === account)?.available ?? 0;
    for (const vendorId of ['ann', 'bob', 'cat']) expect(balanceOf(w.accounts[vendorId] as string)).toBe(0);

    w.sandbox.closeDispute(disputeId, 'won');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(balanceOf(w.accounts.ann as string)).toBe(1320);
    expect(balanceOf(w.accounts.bob as string)).toBe(879);
    expect(balanceOf(w.accounts.cat as string)).toBe(881);
  });
});
