import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OrderRecord } from '../../src/index.js';
import { ACCOUNT_ID, CONNECT_SECRET, makeMarket, paymentIntent, seed, sign, stripeEvent } from './helpers.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

type Market = ReturnType<typeof makeMarket>['market'];

async function deliver(market: Market, type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const event = stripeEvent(type, object, extra);
  const secret = extra.account ? CONNECT_SECRET : undefined;
  return market.handleWebhook(sign(event, secret ? { secret } : {}));
}

async function orderAfter(events: Array<[string, Record<string, unknown>]>, initial: Partial<OrderRecord> = {}) {
  const { market, storage } = makeMarket();
  await seed(storage, initial);
  for (const [type, object] of events) {
    const result = await deliver(market, type, object);
    expect(result.status, type).toBe(200);
  }
  return (await market.getOrder('order_1001')) as OrderRecord;
}

describe('built-in handlers: PaymentIntents', () => {
  it('moves the order forward: processing, then succeeded', async () => {
    const order = await orderAfter([
      ['payment_intent.processing', paymentIntent({ status: 'processing', latest_charge: null })],
      ['payment_intent.succeeded', paymentIntent()],
    ]);
    expect(order.status).toBe('succeeded');
    expect(order.chargeId).toBe('ch_order_1001');
  });

  it('never goes backwards: a late payment_failed or processing does not undo succeeded', async () => {
    const order = await orderAfter([
      ['payment_intent.succeeded', paymentIntent()],
      [
        'payment_intent.payment_failed',
        paymentIntent({
          status: 'requires_payment_method',
          last_payment_error: {
            code: 'card_declined',
            decline_code: 'insufficient_funds',
            message: 'Your card has insufficient funds.',
          },
        }),
      ],
      ['payment_intent.processing', paymentIntent({ status: 'processing' })],
      ['payment_intent.canceled', paymentIntent({ status: 'canceled' })],
    ]);
    expect(order.status).toBe('succeeded');
    expect(order.lastPaymentError).toBeNull();
  });

  it('records the decline code on payment_failed, and the latest one when the customer fails again', async () => {
    const failure = (decline: string) =>
      paymentIntent({
        status: 'requires_payment_method',
        latest_charge: null,
        last_payment_error: { code: 'card_declined', decline_code: decline, message: `declined: ${decline}` },
      });
    const once = await orderAfter([['payment_intent.payment_failed', failure('insufficient_funds')]]);
    expect(once.status).toBe('failed');
    expect(once.lastPaymentError).toEqual({
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      message: 'declined: insufficient_funds',
    });

    const twice = await orderAfter([
      ['payment_intent.payment_failed', failure('insufficient_funds')],
      ['payment_intent.payment_failed', failure('stolen_card')],
    ]);
    expect(twice.lastPaymentError?.declineCode).toBe('stolen_card');

    // A retry after a failure can still succeed.
    const recovered = await orderAfter([
      ['payment_intent.payment_failed', failure('insufficient_funds')],
      ['payment_intent.succeeded', paymentIntent()],
    ]);
    expect(recovered.status).toBe('succeeded');
  });

  it('cancels a pending order, and canceled is final', async () => {
    const order = await orderAfter([
      ['payment_intent.canceled', paymentIntent({ status: 'canceled', latest_charge: null })],
      ['payment_intent.succeeded', paymentIntent()],
    ]);
    expect(order.status).toBe('canceled');
  });
});

describe('built-in handlers: Checkout Sessions', () => {
  const hosted = { mode: 'hosted' as const, paymentIntentId: null, checkoutSessionId: 'cs_order_1001' };
  const session = (overrides: Record<string, unknown> = {}) => ({
    id: 'cs_order_1001',
    object: 'checkout.session',
    payment_status: 'paid',
    payment_intent: 'pi_from_session',
    status: 'complete',
    ...overrides,
  });

  it('completed and paid: succeeded, with the PaymentIntent recorded', async () => {
    const order = await orderAfter([['checkout.session.completed', session()]], hosted);
    expect(order.status).toBe('succeeded');
    expect(order.paymentIntentId).toBe('pi_from_session');
  });

  it('completed but unpaid (a delayed method): records the PaymentIntent and stays pending until async_payment_succeeded', async () => {
    const { market, storage } = makeMarket();
    await seed(storage, hosted);
    await deliver(market, 'checkout.session.completed', session({ payment_status: 'unpaid' }));
    const pending = await market.getOrder('order_1001');
    expect(pending?.status).toBe('pending');
    expect(pending?.paymentIntentId).toBe('pi_from_session');

    await deliver(market, 'checkout.session.async_payment_succeeded', session());
    expect((await market.getOrder('order_1001'))?.status).toBe('succeeded');
    // The recorded PaymentIntent now finds the order for later charge events.
    await deliver(market, 'charge.refunded', {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_from_session',
      amount: 2000,
      amount_refunded: 2000,
      refunded: true,
    });
    expect((await market.getOrder('order_1001'))?.status).toBe('refunded');
  });

  it('async_payment_failed: failed', async () => {
    const order = await orderAfter([['checkout.session.async_payment_failed', session({ payment_status: 'unpaid' })]], hosted);
    expect(order.status).toBe('failed');
    expect(order.paymentIntentId).toBe('pi_from_session');
  });

  it('expired: expired, and a late expiry cannot undo a payment', async () => {
    const expired = await orderAfter(
      [['checkout.session.expired', session({ payment_status: 'unpaid', payment_intent: null, status: 'expired' })]],
      hosted,
    );
    expect(expired.status).toBe('expired');
    expect(expired.paymentIntentId).toBeNull();

    const paid = await orderAfter(
      [
        ['checkout.session.completed', session()],
        ['checkout.session.expired', session({ payment_status: 'unpaid', status: 'expired' })],
      ],
      hosted,
    );
    expect(paid.status).toBe('succeeded');
  });
});

describe('built-in handlers: refunds and disputes', () => {
  const charge = (amountRefunded: number, refunded = false) => ({
    id: 'ch_order_1001',
    object: 'charge',
    payment_intent: 'pi_order_1001',
    amount: 2000,
    amount_refunded: amountRefunded,
    refunded,
  });

  it('records partial, then full refunds', async () => {
    const order = await orderAfter([
      ['payment_intent.succeeded', paymentIntent()],
      ['charge.refunded', charge(500)],
    ]);
    expect(order).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
    const full = await orderAfter([
      ['payment_intent.succeeded', paymentIntent()],
      ['charge.refunded', charge(500)],
      ['charge.refunded', charge(2000, true)],
    ]);
    expect(full).toMatchObject({ status: 'refunded', amountRefunded: 2000 });
  });

  it('never lowers the refunded amount or reopens a refunded order when events arrive out of order', async () => {
    const order = await orderAfter([
      ['payment_intent.succeeded', paymentIntent()],
      ['charge.refunded', charge(1500)],
      ['charge.refunded', charge(500)],
    ]);
    expect(order).toMatchObject({ status: 'partially_refunded', amountRefunded: 1500 });
    const full = await orderAfter([
      ['charge.refunded', charge(2000, true)],
      ['charge.refunded', charge(500)],
      ['payment_intent.succeeded', paymentIntent()],
    ]);
    expect(full).toMatchObject({ status: 'refunded', amountRefunded: 2000 });
  });

  const dispute = (status: string) => ({
    id: 'dp_1',
    object: 'dispute',
    charge: 'ch_order_1001',
    payment_intent: 'pi_order_1001',
    amount: 2000,
    status,
  });

  it('marks the dispute on created and closed', async () => {
    const opened = await orderAfter([['charge.dispute.created', dispute('needs_response')]], { status: 'succeeded' });
    expect(opened.dispute).toEqual({ id: 'dp_1', status: 'needs_response', amount: 2000 });
    const closed = await orderAfter(
      [
        ['charge.dispute.created', dispute('needs_response')],
        ['charge.dispute.closed', dispute('lost')],
      ],
      { status: 'succeeded' },
    );
    expect(closed.dispute?.status).toBe('lost');
  });

  it('does not reopen a closed dispute when created arrives late', async () => {
    const order = await orderAfter(
      [
        ['charge.dispute.closed', dispute('won')],
        ['charge.dispute.created', dispute('needs_response')],
      ],
      { status: 'succeeded' },
    );
    expect(order.dispute?.status).toBe('won');
  });
});

describe('built-in handlers: accounts', () => {
  const account = (overrides: Record<string, unknown> = {}) => ({
    id: ACCOUNT_ID,
    object: 'account',
    details_submitted: true,
    charges_enabled: true,
    payouts_enabled: true,
    capabilities: { transfers: 'active' },
    requirements: {
      currently_due: [],
      past_due: [],
      eventually_due: [],
      pending_verification: [],
      disabled_reason: null,
      current_deadline: null,
    },
    ...overrides,
  });
  const restricted = account({
    payouts_enabled: false,
    capabilities: { transfers: 'inactive' },
    requirements: {
      currently_due: ['external_account'],
      past_due: ['external_account'],
      eventually_due: [],
      pending_verification: [],
      disabled_reason: 'requirements.past_due',
      current_deadline: null,
    },
  });

  it('a stale account.updated arriving after a newer one does not regress the vendor', async () => {
    const { market, storage } = makeMarket();
    await seed(
      storage,
      {},
      { status: 'onboarding', payoutsEnabled: false, transfersCapability: 'inactive', detailsSubmitted: false },
    );
    // Stripe's current state of the account, whenever it is read.
    const api = nock('https://api.stripe.com').get(`/v1/accounts/${ACCOUNT_ID}`).times(2).reply(200, account());

    const newer = await deliver(market, 'account.updated', account(), { account: ACCOUNT_ID });
    expect(newer.status).toBe(200);
    expect((await market.getVendor('driver_42'))?.status).toBe('active');

    // An older event (the account was still restricted then) arrives late.
    const stale = await deliver(market, 'account.updated', restricted, { account: ACCOUNT_ID });
    expect(stale.status).toBe(200);
    const vendor = await market.getVendor('driver_42');
    expect(vendor).toMatchObject({ status: 'active', payoutsEnabled: true, transfersCapability: 'active' });
    expect(vendor?.requirements.pastDue).toEqual([]);
    expect(api.isDone()).toBe(true);
  });

  it('stores what Stripe says now, not what the payload says', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    nock('https://api.stripe.com').get(`/v1/accounts/${ACCOUNT_ID}`).reply(200, restricted);
    let seenStatus: string | undefined;
    market.on('account.updated', (_event, ctx) => {
      seenStatus = ctx.vendor?.status;
    });
    await deliver(market, 'account.updated', account(), { account: ACCOUNT_ID });
    expect((await market.getVendor('driver_42'))?.status).toBe('restricted');
    expect(seenStatus).toBe('restricted');
  });

  it('gives 500 when Stripe cannot be read, so that the event is delivered again', async () => {
    const { market, storage } = makeMarket();
    await seed(storage, {}, { status: 'onboarding' });
    nock('https://api.stripe.com')
      .get(`/v1/accounts/${ACCOUNT_ID}`)
      .reply(500, { error: { type: 'api_error', message: 'boom' } });
    const event = stripeEvent('account.updated', account(), { account: ACCOUNT_ID });
    const request = sign(event, { secret: CONNECT_SECRET });

    const first = await market.handleWebhook(request);
    expect(first).toMatchObject({ status: 500, outcome: 'failed' });
    expect(first.error).toMatch(/accounts\.retrieve/);

    nock('https://api.stripe.com').get(`/v1/accounts/${ACCOUNT_ID}`).reply(200, account());
    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'processed' });
    expect((await market.getVendor('driver_42'))?.status).toBe('active');
  });

  it('account.application.deauthorized marks the vendor disconnected, and a late account.updated does not revive it', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const result = await deliver(
      market,
      'account.application.deauthorized',
      { id: 'ca_platform', object: 'application', name: 'Shop' },
      { account: ACCOUNT_ID },
    );
    expect(result.status).toBe(200);
    const vendor = await market.getVendor('driver_42');
    expect(vendor).toMatchObject({ status: 'disconnected', accountId: ACCOUNT_ID, payoutsEnabled: true });

    // No Stripe call is made (the network is disabled; a call would fail the delivery).
    expect((await deliver(market, 'account.updated', account(), { account: ACCOUNT_ID })).status).toBe(200);
    expect((await market.getVendor('driver_42'))?.status).toBe('disconnected');
  });

  it('ignores account events for accounts it does not know', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const result = await deliver(market, 'account.updated', account({ id: 'acct_other' }), { account: 'acct_other' });
    expect(result).toMatchObject({ status: 200, outcome: 'processed' });
  });
});
