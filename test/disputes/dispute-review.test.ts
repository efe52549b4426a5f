import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { type DisputePolicy, type MarketplaceOptions, type RefundPolicy, vendorBearsDisputes } from '../../src/index.js';
import type { DisputeRecord } from '../../src/core/records.js';
import type { WebhookDeliveryOptions } from '../../src/testing/index.js';
import { completeHostedOnboarding, world, type World } from '../world.js';

// What these tests rely on from Stripe:
// - for destination charges Stripe debits the disputed amount and the dispute fee from the platform; the platform may
//   reverse the transfer and transfer the funds back when the dispute is won, a transfer that fails when the platform's
//   balance cannot cover it (https://docs.stripe.com/disputes/connect);
// - a won dispute reinstates the disputed amount and the fee, a lost one keeps them withdrawn
//   (https://docs.stripe.com/disputes/how-disputes-work);
// - an inquiry (`warning_*`) moves no money (https://docs.stripe.com/disputes/how-disputes-work, "Inquiries");
// - webhook deliveries may be duplicated and arrive in any order (https://docs.stripe.com/webhooks#handle-duplicate-events,
//   https://docs.stripe.com/webhooks#event-ordering).

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function vendorWorld(options: Partial<MarketplaceOptions> = {}, webhooks: WebhookDeliveryOptions = {}) {
  const w = world({ disputePolicy: vendorBearsDisputes(), ...options }, webhooks);
  const { url, accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.sandbox.flushWebhooks();
  return { w, accountId };
}

async function pay(w: World, orderId: string, card: string) {
  const checkout = await w.market.createCheckout({ orderId, vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  const paid = await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: card,
    return_url: 'https://market.example/paid',
  });
  const chargeId = paid.latest_charge as string;
  const [dispute] = (await w.stripe.disputes.list({ charge: chargeId })).data;
  const transferId = (await w.stripe.charges.retrieve(chargeId)).transfer as string;
  return { chargeId, disputeId: (dispute as Stripe.Dispute | undefined)?.id as string, transferId };
}

const balance = (w: World, account: string) =>
  w.sandbox.balances().find((b) => b.account === account && b.currency === 'gbp')?.available ?? 0;

const disputeRecord = async (w: World, id: string) => (await w.market.storage.get<DisputeRecord>('dispute', id))?.data;
const reversals = async (w: World, transferId: string) => (await w.stripe.transfers.listReversals(transferId)).data;
const repayments = async (w: World, accountId: string, disputeId: string) =>
  (await w.stripe.transfers.list({ destination: accountId, transfer_group: `dispute:${disputeId}` })).data;

describe('disputes, reviewed as a payments engineer', () => {
  for (const outcome of ['won', 'lost'] as const) {
    it(`${outcome}, every event delivered twice and newest first: money moves once and the balances add up`, async () => {
      const { w, accountId } = await vendorWorld({}, { duplicate: true, outOfOrder: true });
      const { disputeId, transferId } = await pay(w, 'order_1', 'pm_card_createDispute');
      w.sandbox.closeDispute(disputeId, outcome);
      expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
      const reversed = (await reversals(w, transferId)).reduce((s, r) => s + r.amount, 0);
      const repaid = (await repayments(w, accountId, disputeId)).reduce((s, t) => s + t.amount, 0);
      expect((await reversals(w, transferId)).length).toBeLessThanOrEqual(1);
      expect((await repayments(w, accountId, disputeId)).length).toBeLessThanOrEqual(1);
      const record = await disputeRecord(w, disputeId);
      expect(record?.status).toBe(outcome);
      if (outcome === 'won') {
        // Whatever was taken was given back: the vendor keeps 2000 - 12 % fee, the platform its fee.
        expect(repaid).toBe(reversed);
        expect(balance(w, accountId)).toBe(1760);
        expect(balance(w, 'platform')).toBe(240);
      } else {
        expect(reversed).toBe(1760);
        expect(repaid).toBe(0);
        expect(balance(w, accountId)).toBe(0);
        expect(balance(w, 'platform')).toBe(240 - 2000 - 1500 + 1760);
      }
    });
  }

  it('an inquiry moves no money, whether it closes or not', async () => {
    const { w, accountId } = await vendorWorld();
    const { disputeId, transferId } = await pay(w, 'order_1', 'pm_card_createDisputeInquiry');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect((await disputeRecord(w, disputeId))?.status).toBe('warning_needs_response');
    expect((await disputeRecord(w, disputeId))?.moves ?? null).toBeNull();
    w.sandbox.closeDispute(disputeId, 'won');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    expect(await reversals(w, transferId)).toEqual([]);
    expect(await repayments(w, accountId, disputeId)).toEqual([]);
    expect(balance(w, accountId)).toBe(1760);
    expect((await disputeRecord(w, disputeId))?.status).toBe('warning_closed');
  });

  it('a dispute on a payment the library did not make is processed and moves nothing', async () => {
    const { w, accountId } = await vendorWorld();
    const intent = await w.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'gbp',
      transfer_data: { destination: accountId },
    });
    const paid = await w.stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_card_createDispute',
      return_url: 'https://market.example/paid',
    });
    const seen: string[] = [];
    w.market.on('charge.dispute.created', (event, ctx) => {
      seen.push(`${event.type}:${ctx.order?.orderId ?? 'none'}`);
    });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const [dispute] = (await w.stripe.disputes.list({})).data;
    expect(seen).toEqual(['charge.dispute.created:none']);
    expect(await disputeRecord(w, (dispute as Stripe.Dispute).id)).toBeUndefined();
    const transferId = (await w.stripe.charges.retrieve(paid.latest_charge as string)).transfer as string;
    expect(await reversals(w, transferId)).toEqual([]);
    expect(balance(w, accountId)).toBe(3000);
  });

  it('a repayment Stripe refuses (the platform balance is short) fails the delivery; a later one repays once', async () => {
    const { w, accountId } = await vendorWorld();
    const { disputeId, transferId } = await pay(w, 'order_1', 'pm_card_createDispute');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const original = w.stripe.transfers.create.bind(w.stripe.transfers);
    let short = true;
    w.stripe.transfers.create = ((...args: Parameters<typeof original>) => {
      if (short) {
        const error = Object.assign(new Error('You have insufficient available funds in your Stripe account.'), {
          type: 'StripeInvalidRequestError',
          code: 'balance_insufficient',
          statusCode: 400,
        });
        return Promise.reject(error);
      }
      return original(...args);
    }) as typeof original;
    w.sandbox.closeDispute(disputeId, 'won');
    const refused = await w.sandbox.flushWebhooks();
    expect(refused.failed.length).toBeGreaterThan(0);
    expect(await repayments(w, accountId, disputeId)).toEqual([]);
    const record = await disputeRecord(w, disputeId);
    expect(record?.moves?.[0]).toMatchObject({ reversal: { status: 'done' }, repayment: { status: 'pending' } });
    expect(balance(w, accountId)).toBe(0);

    // Stripe's later delivery (after its schedule) or a replay, once the balance covers it.
    short = false;
    const closed = w.sandbox.events().filter((e) => e.type === 'charge.dispute.closed');
    for (const event of closed) expect((await w.market.receiveEvent(event)).outcome).toBe('processed');
    for (const event of closed) expect((await w.market.receiveEvent(event)).outcome).toBe('duplicate');
    expect((await repayments(w, accountId, disputeId)).map((t) => t.amount)).toEqual([1760]);
    expect(await reversals(w, transferId)).toHaveLength(1);
    expect(balance(w, accountId)).toBe(1760);
    expect((await disputeRecord(w, disputeId))?.moves?.[0]?.repayment.status).toBe('done');
  });
});

describe('refund and dispute policies are synchronous: one that answers with a promise is refused, not awaited', () => {
  const never = () => new Promise<never>(() => undefined);

  it('a dispute policy that returns a promise fails the event with INVALID_DISPUTE_POLICY and moves nothing', async () => {
    const { w, accountId } = await vendorWorld({ disputePolicy: never as unknown as DisputePolicy });
    const errors: string[] = [];
    w.market.onError((error) => {
      errors.push(error.code);
    });
    const { transferId } = await pay(w, 'order_1', 'pm_card_createDispute');
    const result = await w.sandbox.flushWebhooks();
    expect(result.failed.map((f) => f.eventType)).toContain('charge.dispute.created');
    expect(errors).toContain('INVALID_DISPUTE_POLICY');
    expect(await reversals(w, transferId)).toEqual([]);
    expect(balance(w, accountId)).toBe(1760);
  });

  it('a refund policy that returns a promise fails market.refund with INVALID_REFUND_POLICY before Stripe is called', async () => {
    const { w } = await vendorWorld({ refundPolicy: never as unknown as RefundPolicy });
    await pay(w, 'order_1', 'pm_card_visa');
    await w.sandbox.flushWebhooks();
    await expect(w.market.refund({ orderId: 'order_1', refundId: 'r1', amount: 500 })).rejects.toMatchObject({
      code: 'INVALID_REFUND_POLICY',
    });
    expect((await w.stripe.refunds.list({})).data).toEqual([]);
  });
});

describe('a dispute on a subscription payment', () => {
  // Documented limitation (README "Disputes"): the dispute policy applies to orders (checkouts and carts) only. A dispute
  // on a subscription invoice's payment is not recorded and moves nothing, whatever the policy; handlers still run.
  it('is not recorded and moves no vendor money, even with vendorBearsDisputes(); handlers still run', async () => {
    const { w, accountId } = await vendorWorld();
    const created = await w.market.createSubscription({
      subscriptionId: 'sub_1',
      vendorId: 'driver_42',
      customer: { email: 'rider@example.com' },
      price: { amount: 900, currency: 'gbp', interval: 'month' },
    });
    if (created.mode !== 'embedded' || !created.clientSecret) throw new Error('expected an embedded subscription');
    const seen: string[] = [];
    w.market.on('charge.dispute.created', (event) => {
      seen.push(event.type);
    });
    await w.stripe.paymentIntents.confirm(created.clientSecret.split('_secret_')[0] as string, {
      payment_method: 'pm_card_createDispute',
      return_url: 'https://market.example/paid',
    });
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const [dispute] = (await w.stripe.disputes.list({})).data;
    expect(dispute?.status).toBe('needs_response');
    expect(seen).toEqual(['charge.dispute.created']);
    expect(await disputeRecord(w, (dispute as Stripe.Dispute).id)).toBeUndefined();
    // The vendor keeps 900 less the 12 % fee (108): no reversal was made.
    expect(balance(w, accountId)).toBe(792);
  });
});
