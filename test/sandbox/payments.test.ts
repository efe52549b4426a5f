import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { DESTINATION_CHARGE_EVENTS, balanceOf, paidIntent, readyAccount, setup, stripeError } from './helpers.js';

describe('PaymentIntents', () => {
  it('create -> update -> confirm with pm_card_visa succeeds and records the charge', async () => {
    const { sandbox, stripe } = setup();
    const destination = await readyAccount(sandbox, stripe);
    const created = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      application_fee_amount: 240,
      transfer_data: { destination },
      automatic_payment_methods: { enabled: true },
      metadata: { order_id: 'order_1' },
    });
    expect(created).toMatchObject({
      status: 'requires_payment_method',
      amount: 2000,
      application_fee_amount: 240,
      latest_charge: null,
    });
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    const updated = await stripe.paymentIntents.update(created.id, { description: 'Ride 42', metadata: { note: 'x' } });
    expect(updated.metadata).toEqual({ order_id: 'order_1', note: 'x' });
    const confirmed = await stripe.paymentIntents.confirm(created.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/done',
      expand: ['latest_charge'],
    });
    expect(confirmed.status).toBe('succeeded');
    expect(confirmed.amount_received).toBe(2000);
    const charge = confirmed.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: 'charge', status: 'succeeded', paid: true, amount: 2000, payment_intent: created.id });
    expect(charge.payment_method_details?.card?.last4).toBe('4242');
    expect(charge.transfer).toMatch(/^tr_/);
    expect(charge.application_fee).toMatch(/^fee_/);
    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('succeeded');
  });

  it('requires a return_url when redirect-capable automatic payment methods are on, as Stripe does', async () => {
    const { stripe } = setup();
    const intent = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      automatic_payment_methods: { enabled: true },
    });
    const error = await stripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' }));
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('return_url');
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclined', 'card_declined', 'generic_decline', 'Your card was declined.'],
    ['pm_card_insufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'],
    ['pm_card_chargeDeclinedLostCard', 'card_declined', 'lost_card', 'Your card was declined.'],
    ['pm_card_chargeDeclinedStolenCard', 'card_declined', 'stolen_card', 'Your card was declined.'],
    ['pm_card_chargeDeclinedFraudulent', 'card_declined', 'fraudulent', 'Your card was declined.'],
    ['pm_card_visa_chargeDeclinedExpiredCard', 'expired_card', 'expired_card', 'Your card has expired.'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc', 'incorrect_cvc', "Your card's security code is incorrect."],
    [
      'pm_card_chargeDeclinedProcessingError',
      'processing_error',
      'processing_error',
      'An error occurred while processing your card. Try again in a little bit.',
    ],
  ])('%s fails with a 402 card_error %s / %s', async (pm, code, declineCode, message) => {
    const { stripe } = setup();
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const error = await stripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: pm }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, type: 'StripeCardError', code, decline_code: declineCode, message });
    expect(error.charge).toMatch(/^ch_/);
    expect(error.payment_intent?.status).toBe('requires_payment_method');
    const after = await stripe.paymentIntents.retrieve(intent.id);
    expect(after.status).toBe('requires_payment_method');
    expect(after.last_payment_error).toMatchObject({ type: 'card_error', code, decline_code: declineCode });
    const events = (await stripe.events.list()).data.map((e) => e.type);
    expect(events.slice(0, 2)).toEqual(['payment_intent.payment_failed', 'charge.failed']);
  });

  it('a declined intent can be retried with another card', async () => {
    const { stripe } = setup();
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await stripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_chargeDeclined' }));
    expect((await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' })).status).toBe('succeeded');
  });

  it('create with confirm: true and an unknown payment method', async () => {
    const { stripe } = setup();
    const paid = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'eur',
      payment_method: 'pm_card_mastercard',
      confirm: true,
      return_url: 'https://a.example',
    });
    expect(paid.status).toBe('succeeded');
    const error = await stripeError(stripe.paymentIntents.create({ amount: 700, currency: 'eur', payment_method: 'pm_nope' }));
    expect(error).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'payment_method' });
  });

  it('cancel works before success and is refused after', async () => {
    const { sandbox, stripe } = setup();
    const open = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const canceled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    const paid = await paidIntent(stripe, await readyAccount(sandbox, stripe));
    const error = await stripeError(stripe.paymentIntents.cancel(paid.id));
    expect(error).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    expect((await stripeError(stripe.paymentIntents.update(paid.id, { amount: 5000 }))).code).toBe(
      'payment_intent_unexpected_state',
    );
  });

  it('lists intents newest first with pagination', async () => {
    const { stripe } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await stripe.paymentIntents.create({ amount: 100 + i, currency: 'usd' })).id);
    const page = await stripe.paymentIntents.list({ limit: 2 });
    expect(page.data.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    expect(page.has_more).toBe(true);
    const next = await stripe.paymentIntents.list({ limit: 2, starting_after: ids[1] });
    expect(next.data.map((p) => p.id)).toEqual([ids[0]]);
  });
});

describe('money', () => {
  it('a destination charge moves amount to the vendor and the fee back to the platform', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    expect(balanceOf(sandbox, 'platform')).toBe(240);
    expect(balanceOf(sandbox, driver)).toBe(1760);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, {
      expand: ['balance_transaction', 'transfer', 'application_fee'],
    });
    expect(charge.balance_transaction).toMatchObject({
      object: 'balance_transaction',
      amount: 2000,
      fee: 0,
      net: 2000,
      type: 'charge',
    });
    expect(charge.transfer).toMatchObject({
      object: 'transfer',
      amount: 2000,
      destination: driver,
      source_transaction: charge.id,
    });
    expect(charge.application_fee).toMatchObject({
      object: 'application_fee',
      amount: 240,
      account: driver,
      originating_transaction: charge.id,
    });
    const vendorBalance = await stripe.balance.retrieve({}, { stripeAccount: driver });
    expect(vendorBalance.available).toEqual([{ amount: 1760, currency: 'gbp', source_types: { card: 1760 } }]);
    const types = (await stripe.events.list()).data.map((e) => e.type).reverse();
    expect(types).toEqual(DESTINATION_CHARGE_EVENTS);
  });

  it('charges the processing fee to the platform when configured (basis points rounded half up, plus fixed)', async () => {
    const { sandbox, stripe } = setup({ processingFee: { basisPoints: 150, fixed: 20 } });
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver, 2010, 241);
    // 1.5 % of 2010 = 30.15 -> 30, plus 20.
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, { expand: ['balance_transaction'] });
    expect((charge.balance_transaction as Stripe.BalanceTransaction).fee).toBe(50);
    expect(balanceOf(sandbox, 'platform')).toBe(241 - 50);
    expect(balanceOf(sandbox, driver)).toBe(2010 - 241);
  });

  it('direct charges (Stripe-Account header) keep the money on the connected account minus the fee', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const asDriver = sandbox.stripe({ stripeAccount: driver });
    const intent = await asDriver.paymentIntents.create({
      amount: 1000,
      currency: 'gbp',
      application_fee_amount: 100,
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://a.example',
    });
    expect(intent.status).toBe('succeeded');
    expect(balanceOf(sandbox, driver)).toBe(900);
    expect(balanceOf(sandbox, 'platform')).toBe(100);
    const connectTypes = (await asDriver.events.list()).data.map((e) => e.type);
    expect(connectTypes).toContain('payment_intent.succeeded');
    expect((await stripe.events.list()).data.map((e) => e.type)).toEqual(['application_fee.created']);
    expect((await stripeError(stripe.paymentIntents.retrieve(intent.id))).statusCode).toBe(404);
  });
});

describe('refunds', () => {
  it('a partial refund with reverse_transfer and refund_application_fee claws back proportionally', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    const refund = await stripe.refunds.create({
      payment_intent: intent.id,
      amount: 1000,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    expect(refund).toMatchObject({ object: 'refund', status: 'succeeded', amount: 1000, charge: intent.latest_charge });
    const reversal = (
      await stripe.transfers.retrieve((await stripe.charges.retrieve(intent.latest_charge as string)).transfer as string)
    ).reversals.data[0];
    expect(reversal?.amount).toBe(1000);
    expect(reversal?.id).toBe(refund.transfer_reversal);
    expect(balanceOf(sandbox, driver)).toBe(1760 - 1000 + 120);
    expect(balanceOf(sandbox, 'platform')).toBe(240 - 120);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, { expand: ['application_fee'] });
    expect(charge).toMatchObject({ amount_refunded: 1000, refunded: false });
    expect((charge.application_fee as Stripe.ApplicationFee).amount_refunded).toBe(120);
    const types = (await stripe.events.list({ limit: 4 })).data.map((e) => e.type).reverse();
    expect(types).toEqual(['transfer.reversed', 'refund.created', 'charge.refunded', 'application_fee.refunded']);
  });

  it('rounds each proportional part half up on the cumulative total, so partial refunds add up exactly', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver, 1001, 125);
    const feeRefunds: number[] = [];
    for (const amount of [333, 333, 335]) {
      await stripe.refunds.create({ payment_intent: intent.id, amount, reverse_transfer: true, refund_application_fee: true });
      const fee = (await stripe.applicationFees.list()).data[0] as Stripe.ApplicationFee;
      feeRefunds.push(fee.amount_refunded - feeRefunds.reduce((a, b) => a + b, 0));
    }
    // 125 * 333/1001 = 41.58 -> 42; 125 * 666/1001 = 83.17 -> 83 (so 41); the rest is 42.
    expect(feeRefunds).toEqual([42, 41, 42]);
    expect(balanceOf(sandbox, driver)).toBe(0);
    expect(balanceOf(sandbox, 'platform')).toBe(0);
    const again = await stripeError(stripe.refunds.create({ payment_intent: intent.id }));
    expect(again.code).toBe('charge_already_refunded');
  });

  it('a refund without reverse_transfer is paid by the platform; the vendor keeps the transfer', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    await stripe.refunds.create({ charge: intent.latest_charge as string });
    expect(balanceOf(sandbox, driver)).toBe(1760);
    expect(balanceOf(sandbox, 'platform')).toBe(240 - 2000);
  });

  it('refuses refund_application_fee without reverse_transfer, and too large amounts', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    expect((await stripeError(stripe.refunds.create({ payment_intent: intent.id, refund_application_fee: true }))).param).toBe(
      'refund_application_fee',
    );
    expect((await stripeError(stripe.refunds.create({ payment_intent: intent.id, amount: 2001 }))).param).toBe('amount');
    expect((await stripeError(stripe.refunds.create({}))).code).toBe('parameter_missing');
  });
});

describe('transfers', () => {
  it('separate charges and transfers: transfers from a source charge, capped by the charge', async () => {
    const { sandbox, stripe } = setup();
    const a = await readyAccount(sandbox, stripe);
    const b = await readyAccount(sandbox, stripe);
    const charge = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'gbp',
      transfer_group: 'cart_1',
      payment_method: 'pm_card_visa',
      confirm: true,
      return_url: 'https://a.example',
    });
    const source = charge.latest_charge as string;
    const t1 = await stripe.transfers.create({
      amount: 1500,
      currency: 'gbp',
      destination: a,
      transfer_group: 'cart_1',
      source_transaction: source,
    });
    await stripe.transfers.create({
      amount: 1000,
      currency: 'gbp',
      destination: b,
      transfer_group: 'cart_1',
      source_transaction: source,
    });
    const over = await stripeError(
      stripe.transfers.create({ amount: 501, currency: 'gbp', destination: b, source_transaction: source }),
    );
    expect(over).toMatchObject({ statusCode: 400, param: 'amount' });
    expect(balanceOf(sandbox, a)).toBe(1500);
    expect(balanceOf(sandbox, b)).toBe(1000);
    expect(balanceOf(sandbox, 'platform')).toBe(500);
    const reversal = await stripe.transfers.createReversal(t1.id, { amount: 500 });
    expect(reversal).toMatchObject({ object: 'transfer_reversal', amount: 500, transfer: t1.id });
    expect((await stripe.transfers.retrieve(t1.id)).amount_reversed).toBe(500);
    expect(balanceOf(sandbox, a)).toBe(1000);
    expect((await stripe.transfers.list({ transfer_group: 'cart_1' })).data).toHaveLength(2);
  });

  it('a transfer without a source needs available platform balance', async () => {
    const { sandbox, stripe } = setup({ platformBalance: { usd: 1000 } });
    const a = await readyAccount(sandbox, stripe);
    expect((await stripe.transfers.create({ amount: 1000, currency: 'usd', destination: a })).amount).toBe(1000);
    const error = await stripeError(stripe.transfers.create({ amount: 1, currency: 'usd', destination: a }));
    expect(error).toMatchObject({ statusCode: 400, code: 'balance_insufficient' });
  });
});
