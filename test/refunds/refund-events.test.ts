import { afterAll, describe, expect, it } from 'vitest';
import type { MarketplaceOptions } from '../../src/index.js';
import { completeHostedOnboarding, world } from '../world.js';
import { signed } from '../integration/events.js';
import { pgliteFactory } from '../storage/helpers.js';

// Stripe facts these tests depend on:
// - Stripe does not guarantee the order of events, and may deliver an event more than once:
//   https://docs.stripe.com/webhooks#event-ordering, https://docs.stripe.com/webhooks#handle-duplicate-events
// - A refund can move from `succeeded` to `failed` (`refund.failed`): https://docs.stripe.com/refunds#failed-refunds

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

/** A marketplace whose webhooks are captured, so a test delivers them in any order, concurrently or twice. */
async function capturedWorld(options: Partial<MarketplaceOptions> = {}, platformBalance?: Record<string, number>) {
  let live = true;
  const captured: { type: string; body: string }[] = [];
  const w = world(
    options,
    {},
    {
      sandbox: platformBalance ? { platformBalance } : {},
      deliver: (market, body, signature) => {
        if (live) return market.handleWebhook({ body, signature });
        captured.push({ type: (JSON.parse(body) as { type: string }).type, body });
        return Promise.resolve({ status: 200 });
      },
    },
  );
  const { sandbox, stripe, market } = w;
  const { url, accountId } = await market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await sandbox.flushWebhooks();
  const checkout = await market.createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  await stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  await sandbox.flushWebhooks();
  const charge = (await stripe.paymentIntents.retrieve(checkout.paymentIntentId)).latest_charge as string;
  /** From now on, events are captured instead of delivered. */
  const capture = async () => {
    live = false;
    await sandbox.flushWebhooks();
    return captured.splice(0);
  };
  const send = async (body: string) => market.handleWebhook(signed(body, w.secrets.platform));
  const balance = (account: string) => sandbox.balances().find((b) => b.account === account)?.available ?? 0;
  const hold = () => {
    live = false;
  };
  return { ...w, accountId, charge, capture, send, balance, hold };
}

describe('refund events delivered out of order, twice or at once', () => {
  it('a Dashboard refund whose refund.created and refund.failed are processed at once ends failed, on the record and the order', async () => {
    const w = await capturedWorld();
    w.hold();
    const refund = await w.stripe.refunds.create({ charge: w.charge, amount: 700 });
    w.sandbox.failRefund(refund.id, 'lost_or_stolen_card');
    const events = await w.capture();
    const created = events.find((e) => e.type === 'refund.created');
    const failed = events.find((e) => e.type === 'refund.failed');
    expect(created && failed).toBeTruthy();
    const answers = await Promise.all([w.send(created?.body ?? ''), w.send(failed?.body ?? '')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const records = await w.market.listRefunds('order_1');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ source: 'stripe', status: 'failed', failureReason: 'lost_or_stolen_card' });
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
  });

  it('refund.failed before refund.created, each twice, for a library refund interrupted before its reversal', async () => {
    const w = await capturedWorld();
    w.hold();
    const original = w.stripe.transfers.createReversal.bind(w.stripe.transfers);
    let failures = 1;
    w.stripe.transfers.createReversal = ((...args: Parameters<typeof original>) => {
      if (failures-- > 0) return Promise.reject(new Error('process stopped'));
      return original(...args);
    }) as typeof original;
    await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 }).catch(() => undefined);
    const record = await w.market.getRefund('order_1', 'r1');
    w.sandbox.failRefund(record?.stripeRefundId as string, 'expired_or_canceled_card');
    const events = await w.capture();
    const byType = (type: string) => events.filter((e) => e.type === type).map((e) => e.body);
    const order = [
      ...byType('refund.failed'),
      ...byType('refund.failed'),
      ...byType('refund.updated'),
      ...byType('refund.created'),
      ...byType('refund.created'),
    ];
    expect(order.length).toBeGreaterThanOrEqual(4);
    for (const body of order) expect((await w.send(body)).status).toBe(200);
    expect(await w.market.getRefund('order_1', 'r1')).toMatchObject({ status: 'failed', transferReversals: [], restores: [] });
    // A retry of the call does not move money for a failed refund.
    const again = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 });
    expect(again.status).toBe('failed');
    expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    // Everyone stands as before the refund: the platform got the failed refund's amount back.
    expect([w.balance('platform'), w.balance(w.accountId)]).toEqual([240, 1760]);
  });

  it('a restore transfer whose answer was lost is found a day later, not made twice', async () => {
    // Idempotency keys "can be removed after they're at least 24 hours old": https://docs.stripe.com/api/idempotent_requests
    // The platform has funds of its own, so a second restore would go through.
    const w = await capturedWorld({}, { gbp: 10_000 });
    w.hold();
    const refund = await w.market.refund({ orderId: 'order_1', refundId: 'r1' });
    w.sandbox.failRefund(refund.stripeRefundId as string, 'unknown');
    const failed = (await w.capture()).find((e) => e.type === 'refund.failed');
    const original = w.stripe.transfers.create.bind(w.stripe.transfers);
    let lost = 1;
    w.stripe.transfers.create = (async (...args: Parameters<typeof original>) => {
      const made = await original(...args);
      if (lost-- > 0) throw Object.assign(new Error('socket hang up'), { type: 'StripeConnectionError' });
      return made;
    }) as typeof original;
    expect((await w.send(failed?.body ?? '')).status).toBe(500);
    w.sandbox.advanceTime(25 * 3600 * 1000);
    const second = await w.send(failed?.body ?? '');
    expect(second.status).toBe(200);
    const record = await w.market.getRefund('order_1', 'r1');
    expect(record?.restores?.map((m) => m.amount)).toEqual([1760]);
    // The vendor got back the 1760 they bore, once; the platform stands at its fee.
    expect([w.balance('platform'), w.balance(w.accountId)]).toEqual([10_240, 1760]);
  });

  describe('on PGlite with webhookTransactions', () => {
    const lite = pgliteFactory();
    afterAll(() => lite.close());

    it('a library refund that fails: its events twice, reordered and at once, restore the vendor once', async () => {
      const storage = await lite.create();
      const w = await capturedWorld({ storage, webhookTransactions: true });
      w.hold();
      const refund = await w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 1000 });
      expect(refund.parts?.[0]).toMatchObject({ vendorBears: 880, feeReturned: 120 });
      w.sandbox.failRefund(refund.stripeRefundId as string, 'unknown');
      const events = (await w.capture()).filter((e) => e.type.startsWith('refund.'));
      const bodies = [...events].reverse().map((e) => e.body);
      const answers = await Promise.all([...bodies, ...bodies].map((body) => w.send(body)));
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const record = await w.market.getRefund('order_1', 'r1');
      expect(record).toMatchObject({ status: 'failed', failureReason: 'unknown' });
      expect(record?.restores?.map((m) => m.amount)).toEqual([880]);
      expect(await w.market.getOrder('order_1')).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
      expect([w.balance('platform'), w.balance(w.accountId)]).toEqual([240, 1760]);
      await lite.cleanup(storage);
    });
  });
});
