/**
 * Reversals, refunds and application fees as Stripe documents them. Each test names the Stripe page it checks.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, paidIntent, readyAccount, setup, stripeError } from './helpers.js';

async function destinationCharge(amount = 2000, fee = 240) {
  const { sandbox, stripe } = setup();
  const driver = await readyAccount(sandbox, stripe);
  const intent = await paidIntent(stripe, driver, amount, fee);
  const charge = await stripe.charges.retrieve(intent.latest_charge as string);
  return { sandbox, stripe, driver, intent, charge, transferId: charge.transfer as string };
}

describe('reversing a destination charge’s transfer (https://docs.stripe.com/api/transfer_reversals)', () => {
  it('a full refund with reverse_transfer and without refund_application_fee succeeds: the vendor bears it and goes negative', async () => {
    const { sandbox, stripe, driver, intent } = await destinationCharge();
    // The vendor received 2000 and paid the 240 fee: 1760. The platform keeps its fee, the vendor returns 2000.
    expect(balanceOf(sandbox, driver)).toBe(1760);
    const refund = await stripe.refunds.create({ payment_intent: intent.id, reverse_transfer: true });
    expect(refund).toMatchObject({ amount: 2000, status: 'succeeded' });
    expect(refund.transfer_reversal).toMatch(/^trr_/);
    expect(balanceOf(sandbox, driver)).toBe(-240);
    expect(balanceOf(sandbox, 'platform')).toBe(240);
  });

  it('transfers.createReversal of a destination charge’s transfer is limited by the charge, not the vendor’s balance', async () => {
    const { sandbox, stripe, driver, transferId } = await destinationCharge();
    await stripe.transfers.createReversal(transferId, { amount: 1500 });
    expect(balanceOf(sandbox, driver)).toBe(260);
    const second = await stripe.transfers.createReversal(transferId, { amount: 500 });
    expect(second.amount).toBe(500);
    expect(balanceOf(sandbox, driver)).toBe(-240);
    const over = await stripeError(stripe.transfers.createReversal(transferId, { amount: 1 }));
    expect(over).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'transfer_already_reversed' });
  });

  it('a transfer_group transfer is reversed only while the destination’s balance covers it', async () => {
    const { sandbox, stripe } = setup({ platformBalance: { gbp: 10_000 } });
    const driver = await readyAccount(sandbox, stripe);
    const transfer = await stripe.transfers.create({ amount: 1000, currency: 'gbp', destination: driver, transfer_group: 'g1' });
    // A destination charge refunded in full, its transfer reversed: the vendor bears 240 and has 760 left.
    const intent = await paidIntent(stripe, driver);
    await stripe.refunds.create({ payment_intent: intent.id, reverse_transfer: true });
    expect(balanceOf(sandbox, driver)).toBe(760);
    const error = await stripeError(stripe.transfers.createReversal(transfer.id));
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError', code: 'balance_insufficient' });
    expect(balanceOf(sandbox, driver)).toBe(760);
    await stripe.transfers.createReversal(transfer.id, { amount: 760 });
    expect(balanceOf(sandbox, driver)).toBe(0);
  });

  it('a reversal records the refund of the connected account’s payment (destination_payment_refund)', async () => {
    const { stripe, driver, transferId } = await destinationCharge();
    const reversal = await stripe.transfers.createReversal(transferId, { amount: 700 });
    expect(reversal.destination_payment_refund).toMatch(/^pyr_/);
    const transfer = await stripe.transfers.retrieve(transferId);
    const paymentRefund = await stripe.refunds.retrieve(
      reversal.destination_payment_refund as string,
      {},
      { stripeAccount: driver },
    );
    expect(paymentRefund).toMatchObject({
      object: 'refund',
      amount: 700,
      charge: transfer.destination_payment,
      source_transfer_reversal: reversal.id,
      status: 'succeeded',
    });
    const payment = await stripe.charges.retrieve(transfer.destination_payment as string, {}, { stripeAccount: driver });
    expect(payment).toMatchObject({ amount_refunded: 700, refunded: false });
    // The platform cannot see the connected account's refund.
    const hidden = await stripeError(stripe.refunds.retrieve(paymentRefund.id));
    expect(hidden).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('createReversal with refund_application_fee refunds the fee in proportion, and all of it on the last part (https://docs.stripe.com/api/transfer_reversals/create)', async () => {
    const { sandbox, stripe, driver, charge, transferId } = await destinationCharge(2000, 240);
    // 333 of 2000 reversed: 240 * 333 / 2000 = 39.96, rounded half up to 40.
    await stripe.transfers.createReversal(transferId, { amount: 333, refund_application_fee: true });
    let fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee.amount_refunded).toBe(40);
    // The rest: the cumulative share is the whole fee, so the parts add up to 240 exactly.
    await stripe.transfers.createReversal(transferId, { refund_application_fee: true });
    fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee).toMatchObject({ amount_refunded: 240, refunded: true });
    expect(fee.refunds.data.map((r) => r.amount)).toEqual([200, 40]);
    // The vendor returned the 2000 it received and got its 240 fee back; the platform holds the charge's 2000.
    expect(balanceOf(sandbox, driver)).toBe(0);
    expect(balanceOf(sandbox, 'platform')).toBe(2000);
    const types = sandbox.events().map((e) => e.type);
    expect(types.filter((t) => t === 'application_fee.refunded')).toHaveLength(2);
  });

  it('without refund_application_fee the platform keeps its fee', async () => {
    const { stripe, charge, transferId } = await destinationCharge();
    await stripe.transfers.createReversal(transferId);
    const fee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    expect(fee.amount_refunded).toBe(0);
  });
});

describe('application fee refunds (https://docs.stripe.com/api/fee_refunds)', () => {
  it('create, list and retrieve; the fee returns to the account that paid it', async () => {
    const { sandbox, stripe, driver, charge } = await destinationCharge();
    const feeId = charge.application_fee as string;
    const first = await stripe.applicationFees.createRefund(feeId, { amount: 100, metadata: { why: 'goodwill' } });
    expect(first).toMatchObject({ object: 'fee_refund', amount: 100, fee: feeId, metadata: { why: 'goodwill' } });
    expect(balanceOf(sandbox, driver)).toBe(1860);
    const rest = await stripe.applicationFees.createRefund(feeId);
    expect(rest.amount).toBe(140);
    const listed = await stripe.applicationFees.listRefunds(feeId, { limit: 1 });
    expect(listed.data.map((r) => r.id)).toEqual([rest.id]);
    expect(listed.has_more).toBe(true);
    expect(await stripe.applicationFees.retrieveRefund(feeId, first.id)).toMatchObject({ id: first.id, amount: 100 });
    const updated = await stripe.applicationFees.updateRefund(feeId, first.id, { metadata: { ticket: '7' } });
    expect(updated.metadata).toEqual({ why: 'goodwill', ticket: '7' });
    const none = await stripeError(stripe.applicationFees.createRefund(feeId));
    expect(none).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
    const missing = await stripeError(stripe.applicationFees.retrieveRefund(feeId, 'fr_missing'));
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('refuses more than is left, naming amount', async () => {
    const { stripe, charge } = await destinationCharge();
    const error = await stripeError(stripe.applicationFees.createRefund(charge.application_fee as string, { amount: 241 }));
    expect(error).toMatchObject({ statusCode: 400, param: 'amount' });
  });
});

describe('charge.refunds (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand)', () => {
  it('is left out unless expanded, on one charge and on a list', async () => {
    const { stripe, intent, charge } = await destinationCharge();
    expect(charge.refunds).toBeUndefined();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 300 });
    expect((await stripe.charges.retrieve(charge.id)).refunds).toBeUndefined();
    const expanded = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
    expect(expanded.refunds?.data.map((r: Stripe.Refund) => r.id)).toEqual([refund.id]);
    const listed = await stripe.charges.list({ expand: ['data.refunds'] });
    expect(listed.data.find((c) => c.id === charge.id)?.refunds?.data).toHaveLength(1);
    expect((await stripe.charges.list()).data[0]?.refunds).toBeUndefined();
  });
});

describe('update endpoints', () => {
  it('refunds.update changes metadata and emits refund.updated (https://docs.stripe.com/api/refunds/update)', async () => {
    const { sandbox, stripe, intent } = await destinationCharge();
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 100, metadata: { a: '1' } });
    const updated = await stripe.refunds.update(refund.id, { metadata: { b: '2', a: '' } });
    expect(updated.metadata).toEqual({ b: '2' });
    const event = sandbox.events().find((e) => e.type === 'refund.updated');
    expect(event?.data.previous_attributes).toEqual({ metadata: { a: '1' } });
    const unknown = await stripeError(stripe.refunds.update(refund.id, { amount: 5 } as Stripe.RefundUpdateParams));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'amount' });
  });

  it('transfers.update changes description and metadata and emits transfer.updated (https://docs.stripe.com/api/transfers/update)', async () => {
    const { sandbox, stripe, transferId } = await destinationCharge();
    const updated = await stripe.transfers.update(transferId, { description: 'Order 7', metadata: { order: '7' } });
    expect(updated).toMatchObject({ description: 'Order 7', metadata: { order: '7' } });
    expect(sandbox.events().filter((e) => e.type === 'transfer.updated')).toHaveLength(1);
  });

  it('transfer reversals: retrieve, update metadata, list with pagination and checked parameters (https://docs.stripe.com/api/transfer_reversals/list)', async () => {
    const { stripe, transferId } = await destinationCharge();
    const first = await stripe.transfers.createReversal(transferId, { amount: 100 });
    const second = await stripe.transfers.createReversal(transferId, { amount: 200 });
    const page = await stripe.transfers.listReversals(transferId, { limit: 1 });
    expect(page.data.map((r) => r.id)).toEqual([second.id]);
    expect(page.has_more).toBe(true);
    const next = await stripe.transfers.listReversals(transferId, { limit: 1, starting_after: second.id });
    expect(next.data.map((r) => r.id)).toEqual([first.id]);
    const bad = await stripeError(stripe.transfers.listReversals(transferId, { limit: 0 }));
    expect(bad).toMatchObject({ statusCode: 400, param: 'limit' });
    const unknown = await stripeError(
      stripe.transfers.listReversals(transferId, { colour: 'red' } as Stripe.TransferListReversalsParams),
    );
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
    expect(await stripe.transfers.retrieveReversal(transferId, first.id)).toMatchObject({ amount: 100 });
    const updated = await stripe.transfers.updateReversal(transferId, first.id, { metadata: { note: 'x' } });
    expect(updated.metadata).toEqual({ note: 'x' });
  });
});

describe('a refund that fails after it was created (https://docs.stripe.com/refunds#failed-refunds)', () => {
  it('sandbox.failRefund: failed with a reason, the amount back in the balance, the charge refundable again, refund.failed', async () => {
    const { sandbox, stripe, intent, charge } = await destinationCharge();
    const refund = await stripe.refunds.create({ charge: charge.id, amount: 700 });
    expect(balanceOf(sandbox, 'platform')).toBe(240 - 700);
    const failed = sandbox.failRefund(refund.id);
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(failed.failure_balance_transaction).toMatch(/^txn_/);
    expect(balanceOf(sandbox, 'platform')).toBe(240);
    expect((await stripe.refunds.retrieve(refund.id)).status).toBe('failed');
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(0);
    const event = sandbox.events().find((e) => e.type === 'refund.failed');
    expect((event?.data.object as Stripe.Refund | undefined)?.id).toBe(refund.id);
    expect(() => sandbox.failRefund(refund.id)).toThrow(/already failed/);
    // The whole charge can be refunded again.
    expect((await stripe.refunds.create({ payment_intent: intent.id })).amount).toBe(2000);
  });
});
