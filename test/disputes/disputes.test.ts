import { PGlite } from '@electric-sql/pglite';
import type Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { type DisputePolicy, type MarketplaceOptions, platformBearsDisputes, vendorBearsDisputes } from '../../src/index.js';
import { envelope, ORDER, TRANSFER, type DisputeRecord, type OrderItem } from '../../src/core/records.js';
import { orderRecord } from '../../src/testing/conformance/fixtures.js';
import { postgresStorage } from '../../src/postgres.js';
import { uniquePrefix } from '../storage/helpers.js';
import { completeHostedOnboarding, world, type World } from '../world.js';

// What these tests rely on from Stripe:
// - for destination charges Stripe debits the disputed amount and the dispute fee from the platform and leaves the
//   transfer alone; the platform may reverse the transfer, and transfer the funds back when the dispute is won
//   (https://docs.stripe.com/disputes/connect);
// - a destination charge's transfer may be reversed up to the charge amount, whatever the connected account's balance
//   (https://docs.stripe.com/api/transfer_reversals);
// - a won dispute reinstates the disputed amount and the fee (`charge.dispute.funds_reinstated`), a lost one keeps them
//   withdrawn (https://docs.stripe.com/disputes/how-disputes-work, https://docs.stripe.com/api/events/types);
// - the dispute test card pm_card_createDispute opens a `fraudulent` chargeback (https://docs.stripe.com/testing#disputes).

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };
const DISPUTE_FEE = 1500;

async function disputedOrder(options: Partial<MarketplaceOptions> = {}) {
  const w = world(options);
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.sandbox.flushWebhooks();
  const checkout = await w.market.createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  const paid = await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_createDispute',
    return_url: 'https://market.example/paid',
  });
  const chargeId = paid.latest_charge as string;
  const [dispute] = (await w.stripe.disputes.list({ charge: chargeId })).data;
  const transferId = (await w.stripe.charges.retrieve(chargeId)).transfer as string;
  return { w, accountId, chargeId, disputeId: (dispute as Stripe.Dispute).id, transferId };
}

const balance = (w: World, account: string) =>
  w.sandbox.balances().find((b) => b.account === account && b.currency === 'gbp')?.available ?? 0;

async function disputeRecord(w: World, disputeId: string): Promise<DisputeRecord | undefined> {
  return (await w.market.storage.get<DisputeRecord>('dispute', disputeId))?.data;
}

async function reversals(w: World, transferId: string) {
  return (await w.stripe.transfers.listReversals(transferId)).data;
}

async function repayments(w: World, accountId: string, disputeId: string) {
  return (await w.stripe.transfers.list({ destination: accountId, transfer_group: `dispute:${disputeId}` })).data;
}

const disputeEvents = (w: World, disputeId: string) =>
  w.sandbox.events().filter((e) => e.type.startsWith('charge.dispute.') && (e.data.object as Stripe.Dispute).id === disputeId);

describe('disputes: the vendor bears them (vendorBearsDisputes)', () => {
  it('won: reverses the vendor transfer when the dispute opens, pays it back when won; balances end where they started', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    const seen: (DisputeRecord | undefined)[] = [];
    w.market.on(['charge.dispute.created', 'charge.dispute.closed'], (_event, ctx) => {
      seen.push(ctx.dispute);
    });
    const opened = await w.sandbox.flushWebhooks();
    expect(opened.failed).toEqual([]);

    const [reversal] = await reversals(w, transferId);
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect(reversal).toMatchObject({
      amount: 1760,
      metadata: {
        dispute_id: disputeId,
        order_id: 'order_1',
        vendor_id: 'driver_42',
        dispute_move: `dispute:${disputeId}:reversal:driver_42`,
      },
    });
    // The platform had 240 (its fee), lost 2000 + the dispute fee to the dispute, and took 1760 back from the vendor.
    expect(balance(w, 'platform')).toBe(240 - 2000 - DISPUTE_FEE + 1760);
    expect(balance(w, accountId)).toBe(0);
    const open = await disputeRecord(w, disputeId);
    expect(open).toMatchObject({ status: 'needs_response', fundsWithdrawn: true });
    expect(open?.moves).toEqual([
      {
        vendorId: 'driver_42',
        accountId,
        amount: 1760,
        reversal: { status: 'done', stripeId: reversal?.id, at: expect.any(Number) },
        repayment: { status: 'pending', stripeId: null, at: null },
      },
    ]);
    expect(seen[0]?.disputeId).toBe(disputeId);

    w.sandbox.closeDispute(disputeId, 'won');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const [repayment] = await repayments(w, accountId, disputeId);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(1);
    expect(repayment).toMatchObject({ amount: 1760, currency: 'gbp', destination: accountId });
    expect(balance(w, 'platform')).toBe(240);
    expect(balance(w, accountId)).toBe(1760);
    const won = await disputeRecord(w, disputeId);
    expect(won).toMatchObject({ status: 'won', fundsReinstated: true });
    expect(won?.moves?.[0]?.repayment).toMatchObject({ status: 'done', stripeId: repayment?.id });
    expect(seen.at(-1)?.status).toBe('won');
    expect((await w.market.getOrder('order_1'))?.dispute).toEqual({ id: disputeId, status: 'won', amount: 2000 });
  });

  it('lost: keeps the reversal, never repays, and records the repayment as skipped', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    await w.sandbox.flushWebhooks();
    w.sandbox.closeDispute(disputeId, 'lost');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(0);
    // The platform is left with its loss: its fee on the disputed payment and the dispute fee.
    expect(balance(w, 'platform')).toBe(-DISPUTE_FEE);
    expect(balance(w, accountId)).toBe(0);
    const lost = await disputeRecord(w, disputeId);
    expect(lost?.status).toBe('lost');
    expect(lost?.moves?.[0]).toMatchObject({ reversal: { status: 'done' }, repayment: { status: 'skipped', stripeId: null } });
  });

  it('duplicated events move money once: redeliveries, a replay of each event, and every event processed again', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    await w.sandbox.flushWebhooks();
    w.sandbox.closeDispute(disputeId, 'won');
    await w.sandbox.flushWebhooks();
    for (const event of disputeEvents(w, disputeId)) {
      expect((await w.market.receiveEvent(event)).outcome).toBe('duplicate');
      // The same dispute under new event ids (as Stripe's `updated` events carry it): decided again, nothing moves.
      expect((await w.market.receiveEvent({ ...event, id: `${event.id}_again` })).outcome).toBe('processed');
    }
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(1);
    expect(balance(w, 'platform')).toBe(240);
    expect(balance(w, accountId)).toBe(1760);
  });

  it('reordered events: a won dispute whose closing events arrive first moves no money at all', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    w.sandbox.closeDispute(disputeId, 'won');
    const events = w.sandbox.events();
    const others = events.filter((e) => !e.type.startsWith('charge.dispute.'));
    for (const event of others) expect(['processed', 'duplicate']).toContain((await w.market.receiveEvent(event)).outcome);
    for (const event of disputeEvents(w, disputeId).reverse()) {
      expect((await w.market.receiveEvent(event)).outcome).toBe('processed');
    }
    expect(await reversals(w, transferId)).toHaveLength(0);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(0);
    expect(balance(w, accountId)).toBe(1760);
    const record = await disputeRecord(w, disputeId);
    expect(record?.status).toBe('won');
    expect(record?.moves?.[0]).toMatchObject({ reversal: { status: 'skipped' }, repayment: { status: 'skipped' } });
  });

  it('reordered events: a lost dispute whose closed event arrives first is reversed once', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    w.sandbox.closeDispute(disputeId, 'lost');
    for (const event of w.sandbox.events().filter((e) => !e.type.startsWith('charge.dispute.')))
      await w.market.receiveEvent(event);
    for (const event of disputeEvents(w, disputeId).reverse()) {
      expect((await w.market.receiveEvent(event)).outcome).toBe('processed');
    }
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(0);
    expect(balance(w, accountId)).toBe(0);
    expect((await disputeRecord(w, disputeId))?.status).toBe('lost');
  });

  it('a reversal Stripe refuses fails the delivery (500), leaves the move pending, and the redelivery makes it once', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let failures = 1;
    w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(new Error('connection reset by peer'));
      return original(...args);
    }) as typeof original;
    const errors: string[] = [];
    w.market.onError((error) => {
      errors.push(error.code);
    });
    const created = disputeEvents(w, disputeId).find((e) => e.type === 'charge.dispute.created') as Stripe.Event;
    for (const event of w.sandbox.events().filter((e) => !e.type.startsWith('charge.dispute.')))
      await w.market.receiveEvent(event);
    const first = await w.market.receiveEvent(created);
    expect(first).toMatchObject({ outcome: 'failed', error: { code: 'STRIPE_ERROR' } });
    expect(errors).toEqual(['STRIPE_ERROR']);
    expect(await reversals(w, transferId)).toHaveLength(0);
    expect(await disputeRecord(w, disputeId)).toBeUndefined();
    expect(balance(w, accountId)).toBe(1760);

    // Stripe delivers it again (the webhook answered 500): the reversal is made, once.
    expect((await w.market.receiveEvent(created)).outcome).toBe('processed');
    expect((await w.market.receiveEvent(created)).outcome).toBe('duplicate');
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect((await disputeRecord(w, disputeId))?.moves?.[0]?.reversal.status).toBe('done');
    expect(balance(w, accountId)).toBe(0);
  });

  it('a dispute won while its reversal was being made is repaid by the same delivery (its closing event may have missed it)', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    w.stripe.transfers.createReversal = (async (...args: Parameters<typeof original>) => {
      const made = await original(...args);
      w.sandbox.closeDispute(disputeId, 'won'); // the network decides while the reversal is in flight
      return made;
    }) as typeof original;
    for (const event of w.sandbox.events().filter((e) => !e.type.startsWith('charge.dispute.')))
      await w.market.receiveEvent(event);
    const created = disputeEvents(w, disputeId).find((e) => e.type === 'charge.dispute.created') as Stripe.Event;
    expect((await w.market.receiveEvent(created)).outcome).toBe('processed');
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect((await repayments(w, accountId, disputeId)).map((t) => t.amount)).toEqual([1760]);
    expect((await disputeRecord(w, disputeId))?.moves?.[0]).toMatchObject({
      reversal: { status: 'done' },
      repayment: { status: 'done' },
    });
    // The closing events change nothing more.
    for (const event of disputeEvents(w, disputeId)) await w.market.receiveEvent(event);
    expect(await repayments(w, accountId, disputeId)).toHaveLength(1);
    expect(balance(w, accountId)).toBe(1760);
    expect(balance(w, 'platform')).toBe(240);
  });

  it('takes no more than the transfer has left (part was reversed already) and repays exactly that', async () => {
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    await w.stripe.transfers.createReversal(transferId, { amount: 1500 }); // the platform took 1500 back earlier
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const amounts = (await reversals(w, transferId)).map((r) => r.amount);
    expect(amounts.sort((a, b) => a - b)).toEqual([500, 1500]);
    expect((await disputeRecord(w, disputeId))?.moves?.[0]).toMatchObject({ amount: 500, reversal: { status: 'done' } });
    w.sandbox.closeDispute(disputeId, 'won');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await repayments(w, accountId, disputeId)).map((t) => t.amount)).toEqual([500]);
    expect(balance(w, accountId)).toBe(1760 - 1500);
  });

  it('answers 500 over HTTP while Stripe fails, and the sandbox retry succeeds', async () => {
    const { w, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let failures = 1;
    w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(new Error('Stripe is down'));
      return original(...args);
    }) as typeof original;
    const result = await w.sandbox.flushWebhooks();
    expect(result.failed).toEqual([]);
    expect(result.attempts.map((a) => a.status)).toContain(500);
    expect(await reversals(w, transferId)).toHaveLength(1);
  });

  it('a reversal whose answer was lost (Stripe made it, the delivery failed) is found by its metadata, not made again', async () => {
    const { w, disputeId, transferId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let lose = 1;
    w.stripe.transfers.createReversal = (async (...args: Parameters<typeof original>) => {
      const made = await original(...args);
      if (lose-- > 0) throw new Error('socket hang up');
      return made;
    }) as typeof original;
    for (const event of w.sandbox.events().filter((e) => !e.type.startsWith('charge.dispute.')))
      await w.market.receiveEvent(event);
    const created = disputeEvents(w, disputeId).find((e) => e.type === 'charge.dispute.created') as Stripe.Event;
    expect((await w.market.receiveEvent(created)).outcome).toBe('failed');
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect((await w.market.receiveEvent(created)).outcome).toBe('processed');
    const [reversal] = await reversals(w, transferId);
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect((await disputeRecord(w, disputeId))?.moves?.[0]?.reversal).toMatchObject({ status: 'done', stripeId: reversal?.id });
  });
});

describe('disputes on a cart (separate charges and transfers, one transfer per vendor)', () => {
  // A cart's order and transfer records are stored here as the cart checkout stores them; its charge and transfers are
  // made in the sandbox as Stripe documents them (https://docs.stripe.com/connect/separate-charges-and-transfers). A
  // transfer_group transfer can be reversed only while the destination's balance covers it
  // (https://docs.stripe.com/api/transfer_reversals).
  it('vendorBearsDisputes reverses each vendor transfer by its share (largest remainder) and repays each when won', async () => {
    const w = world({ disputePolicy: vendorBearsDisputes() });
    const accounts: Record<string, string> = {};
    for (const vendorId of ['a', 'b']) {
      const { url, accountId } = await w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
      await completeHostedOnboarding(w, url);
      accounts[vendorId] = accountId;
    }
    await w.sandbox.flushWebhooks();
    const item = (vendorId: string, amount: number, fee: number): OrderItem => ({
      vendorId,
      accountId: accounts[vendorId] as string,
      amount,
      applicationFeeAmount: fee,
      vendorAmount: amount - fee,
      description: null,
    });
    const items = [item('a', 1500, 180), item('b', 500, 60)];
    const intent = await w.stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      transfer_group: 'cart_1',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const order = orderRecord('cart_1', {
      vendorId: 'a',
      accountId: accounts.a,
      chargeType: 'separate',
      items,
      amount: 2000,
      applicationFeeAmount: 240,
      vendorAmount: 1760,
      paymentIntentId: intent.id,
    });
    await w.market.storage.insert(envelope(ORDER, order));
    const paid = await w.stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_createDispute' });
    const chargeId = paid.latest_charge as string;
    const transferIds: Record<string, string> = {};
    for (const it of items) {
      const transfer = await w.stripe.transfers.create({
        amount: it.vendorAmount,
        currency: 'gbp',
        destination: it.accountId,
        transfer_group: 'cart_1',
        source_transaction: chargeId,
      });
      transferIds[it.vendorId] = transfer.id;
      await w.market.storage.insert(
        envelope(TRANSFER, {
          transferId: `cart_1:${it.vendorId}`,
          orderId: 'cart_1',
          vendorId: it.vendorId,
          accountId: it.accountId,
          amount: it.vendorAmount,
          currency: 'gbp',
          status: 'paid',
          stripeTransferId: transfer.id,
          amountReversed: 0,
          lastError: null,
          createdAt: Date.now(),
          updatedAt: Date.now(),
        }),
      );
    }
    const [dispute] = (await w.stripe.disputes.list({ charge: chargeId })).data;
    const disputeId = (dispute as Stripe.Dispute).id;
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(balance(w, accounts.a as string)).toBe(0);
    expect(balance(w, accounts.b as string)).toBe(0);
    for (const [vendorId, amount] of [
      ['a', 1320],
      ['b', 440],
    ] as const) {
      const list = await reversals(w, transferIds[vendorId] as string);
      expect(list.map((r) => r.amount)).toEqual([amount]);
      expect(list[0]?.metadata?.dispute_move).toBe(`dispute:${disputeId}:reversal:${vendorId}`);
    }
    const record = await disputeRecord(w, disputeId);
    expect(record?.moves?.map((m) => [m.vendorId, m.amount, m.reversal.status])).toEqual([
      ['a', 1320, 'done'],
      ['b', 440, 'done'],
    ]);
    // What the vendors gave back plus the platform's part (its fees on the disputed amount) is the disputed amount.
    expect((record?.moves ?? []).reduce((sum, m) => sum + m.amount, 0) + 240).toBe(record?.amount);

    w.sandbox.closeDispute(disputeId, 'won');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await repayments(w, accounts.a as string, disputeId)).map((t) => t.amount)).toEqual([1320]);
    expect((await repayments(w, accounts.b as string, disputeId)).map((t) => t.amount)).toEqual([440]);
    expect(balance(w, accounts.a as string)).toBe(1320);
    expect(balance(w, accounts.b as string)).toBe(440);
    expect(balance(w, 'platform')).toBe(240);
  });
});

describe('disputes on PostgreSQL with webhookTransactions (Stripe calls before the transaction)', () => {
  let db: PGlite | undefined;
  afterAll(async () => {
    await db?.close();
  });

  for (const outcome of ['won', 'lost'] as const) {
    it(`${outcome}: each move once, even when every event is delivered twice and one reversal fails first`, async () => {
      db ??= new PGlite();
      const storage = postgresStorage({ client: db, tablePrefix: uniquePrefix('disputes') });
      await storage.migrate();
      const { w, accountId, disputeId, transferId } = await disputedOrder({
        storage,
        webhookTransactions: true,
        disputePolicy: vendorBearsDisputes(),
      });
      const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
      let failures = 1;
      w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
        if (failures-- > 0) return Promise.reject(new Error('connection reset'));
        return original(...args);
      }) as typeof original;
      expect((await w.sandbox.flushWebhooks()).attempts.map((a) => a.status)).toContain(500);
      w.sandbox.closeDispute(disputeId, outcome);
      await w.sandbox.flushWebhooks();
      for (const event of disputeEvents(w, disputeId)) expect((await w.market.receiveEvent(event)).outcome).toBe('duplicate');
      expect(await reversals(w, transferId)).toHaveLength(1);
      expect(await repayments(w, accountId, disputeId)).toHaveLength(outcome === 'won' ? 1 : 0);
      expect(balance(w, accountId)).toBe(outcome === 'won' ? 1760 : 0);
      expect((await disputeRecord(w, disputeId))?.moves?.[0]).toMatchObject({
        reversal: { status: 'done' },
        repayment: { status: outcome === 'won' ? 'done' : 'skipped' },
      });
    }, 60_000);
  }
});

describe('disputes: other policies', () => {
  it('platformBearsDisputes (the default) moves no money: the vendor keeps its transfer whatever the outcome', async () => {
    for (const options of [{}, { disputePolicy: platformBearsDisputes() }]) {
      const { w, accountId, disputeId, transferId } = await disputedOrder(options);
      await w.sandbox.flushWebhooks();
      expect(balance(w, 'platform')).toBe(240 - 2000 - DISPUTE_FEE);
      expect(balance(w, accountId)).toBe(1760);
      w.sandbox.closeDispute(disputeId, 'won');
      await w.sandbox.flushWebhooks();
      expect(await reversals(w, transferId)).toHaveLength(0);
      expect(await repayments(w, accountId, disputeId)).toHaveLength(0);
      expect(balance(w, 'platform')).toBe(240);
      expect(balance(w, accountId)).toBe(1760);
      expect(await disputeRecord(w, disputeId)).toMatchObject({ status: 'won', moves: [] });
    }
  });

  it('a custom policy can make the vendor bear the whole disputed amount (its balance may go negative)', async () => {
    const whole: DisputePolicy = (ctx) => ctx.vendors.map((v) => ({ vendorId: v.vendorId, amount: v.disputedAmount }));
    const { w, accountId, transferId } = await disputedOrder({ disputePolicy: whole });
    await w.sandbox.flushWebhooks();
    expect((await reversals(w, transferId))[0]?.amount).toBe(2000);
    expect(balance(w, accountId)).toBe(1760 - 2000);
    expect(balance(w, 'platform')).toBe(240 - DISPUTE_FEE);
  });

  it('a policy answering out of bounds fails the event with INVALID_DISPUTE_POLICY and moves nothing', async () => {
    const greedy: DisputePolicy = (ctx) => ctx.vendors.map((v) => ({ vendorId: v.vendorId, amount: v.reversible + 1 }));
    const { w, accountId, disputeId, transferId } = await disputedOrder({ disputePolicy: greedy });
    const codes: string[] = [];
    w.market.onError((error) => {
      codes.push(error.code);
    });
    const result = await w.sandbox.flushWebhooks();
    expect(result.failed.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['INVALID_DISPUTE_POLICY']));
    expect(await reversals(w, transferId)).toHaveLength(0);
    expect(await disputeRecord(w, disputeId)).toBeUndefined();
    expect(balance(w, accountId)).toBe(1760);
  });

  it('rejects a disputePolicy that is not a function with INVALID_OPTIONS', () => {
    expect(() => world({ disputePolicy: 'vendor' as unknown as DisputePolicy })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});

describe('market.getDispute and market.listDisputes', () => {
  it('read the stored dispute, by its id and by its order, with the policy moves', async () => {
    const { w, disputeId } = await disputedOrder({ disputePolicy: vendorBearsDisputes() });
    expect(await w.market.getDispute(disputeId)).toBeNull();
    expect(await w.market.listDisputes({ orderId: 'order_1' })).toEqual([]);
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);

    const stored = await w.market.getDispute(disputeId);
    expect(stored).toMatchObject({ disputeId, orderId: 'order_1', amount: 2000, currency: 'gbp', status: 'needs_response' });
    expect(stored?.moves?.[0]?.reversal).toMatchObject({ status: 'done' });
    expect(await w.market.listDisputes({ orderId: 'order_1' })).toEqual([stored]);
    expect(await w.market.listDisputes({ orderId: 'order_2' })).toEqual([]);
  });

  it('refuse bad input before storage is read', async () => {
    const w = world();
    await expect(w.market.getDispute('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.listDisputes({ orderId: 'order_1', limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.listDisputes({} as { orderId: string })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
