import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, readyAccount, setup, stripeError } from './helpers.js';

// Disputes as Stripe documents them:
// - the dispute test cards https://docs.stripe.com/testing#disputes (4000000000000259 pm_card_createDispute, fraudulent;
//   4000000000002685 product_not_received; 4000000000001976 an inquiry, status warning_needs_response);
// - the evidence that decides a test dispute https://docs.stripe.com/testing#evidence (`winning_evidence`,
//   `losing_evidence` in `uncategorized_text`);
// - a destination charge's dispute is withdrawn from the platform, not from the transfer
//   https://docs.stripe.com/connect/disputes;
// - the dispute object and its endpoints https://docs.stripe.com/api/disputes (update with `evidence` and `submit`,
//   `POST /v1/disputes/:id/close` accepts the loss), and the `charge.dispute.*` events
//   https://docs.stripe.com/api/events/types.
describe('disputes', () => {
  async function disputedDestinationCharge(paymentMethod = 'pm_card_createDispute') {
    const { sandbox, stripe } = setup();
    const destination = await readyAccount(sandbox, stripe);
    const intent = await stripe.paymentIntents.create({
      amount: 5000,
      currency: 'gbp',
      application_fee_amount: 500,
      transfer_data: { destination },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    const paid = await stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod });
    const chargeId = paid.latest_charge as string;
    const [dispute] = (await stripe.disputes.list({ charge: chargeId })).data;
    return { sandbox, stripe, destination, chargeId, intent: paid, dispute: dispute as Stripe.Dispute };
  }

  const types = (events: Stripe.Event[]) => events.map((e) => e.type).filter((t) => t.startsWith('charge.dispute.'));

  it('opens a fraudulent dispute on a pm_card_createDispute payment and withdraws amount plus fee from the platform', async () => {
    const { sandbox, stripe, destination, chargeId, intent, dispute } = await disputedDestinationCharge();
    expect(intent.status).toBe('succeeded');
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 5000,
      currency: 'gbp',
      charge: chargeId,
      payment_intent: intent.id,
      reason: 'fraudulent',
      status: 'needs_response',
      is_charge_refundable: false,
    });
    expect(dispute.evidence_details.submission_count).toBe(0);
    expect((await stripe.charges.retrieve(chargeId)).disputed).toBe(true);
    const [withdrawal] = dispute.balance_transactions;
    expect(withdrawal).toMatchObject({ amount: -5000, fee: 1500, net: -6500, type: 'adjustment', reporting_category: 'dispute' });
    expect(withdrawal?.source).toBe(dispute.id);
    // The platform had 5000 in and 4500 out (transfer 5000, fee 500 back): 500, minus 6500 withdrawn.
    expect(balanceOf(sandbox, 'platform')).toBe(500 - 6500);
    // The vendor's share is untouched: the platform decides whether to reverse the transfer.
    expect(balanceOf(sandbox, destination)).toBe(4500);
    expect(types(sandbox.events())).toEqual(['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
    expect(sandbox.events().find((e) => e.type === 'charge.dispute.created')?.account).toBeUndefined();
  });

  it('lists and retrieves disputes by id, charge and payment_intent, and answers an unknown id with resource_missing', async () => {
    const { stripe, chargeId, intent, dispute } = await disputedDestinationCharge();
    expect((await stripe.disputes.retrieve(dispute.id)).id).toBe(dispute.id);
    expect((await stripe.disputes.list({ payment_intent: intent.id })).data.map((d) => d.id)).toEqual([dispute.id]);
    expect((await stripe.disputes.list()).data).toHaveLength(1);
    expect((await stripe.disputes.list({ charge: `${chargeId}x` })).data).toHaveLength(0);
    const error = await stripeError(stripe.disputes.retrieve('du_missing'));
    expect(error).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      param: 'dispute',
      statusCode: 404,
    });
  });

  it('opens product_not_received and inquiry disputes; an inquiry moves no money', async () => {
    const notReceived = await disputedDestinationCharge('pm_card_createDisputeProductNotReceived');
    expect(notReceived.dispute.reason).toBe('product_not_received');
    const inquiry = await disputedDestinationCharge('pm_card_createDisputeInquiry');
    expect(inquiry.dispute).toMatchObject({ status: 'warning_needs_response', balance_transactions: [] });
    expect(balanceOf(inquiry.sandbox, 'platform')).toBe(500);
    expect(types(inquiry.sandbox.events())).toEqual(['charge.dispute.created']);
    const closed = inquiry.sandbox.closeDispute(inquiry.dispute.id, 'won');
    expect(closed.status).toBe('warning_closed');
    expect(balanceOf(inquiry.sandbox, 'platform')).toBe(500);
  });

  it('stages evidence without submit, then submitted winning_evidence wins and reinstates the amount and fee', async () => {
    const { sandbox, stripe, dispute } = await disputedDestinationCharge();
    const staged = await stripe.disputes.update(dispute.id, {
      evidence: { customer_name: 'Ada Lovelace' },
      metadata: { order: '42' },
      submit: false,
    });
    expect(staged).toMatchObject({ status: 'needs_response', metadata: { order: '42' } });
    expect(staged.evidence.customer_name).toBe('Ada Lovelace');
    expect(staged.evidence_details).toMatchObject({ has_evidence: true, submission_count: 0 });

    const won = await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'winning_evidence' } });
    expect(won.status).toBe('won');
    expect(won.evidence_details.submission_count).toBe(1);
    expect(won.evidence.customer_name).toBe('Ada Lovelace');
    expect(won.balance_transactions.map((t) => [t.amount, t.fee, t.reporting_category])).toEqual([
      [-5000, 1500, 'dispute'],
      [5000, -1500, 'dispute_reversal'],
    ]);
    expect(balanceOf(sandbox, 'platform')).toBe(500);
    expect(types(sandbox.events())).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.updated',
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ]);
    const closed = sandbox.events().find((e) => e.type === 'charge.dispute.closed');
    expect(closed?.data.previous_attributes).toEqual({ status: 'under_review' });
  });

  it('loses on submitted losing_evidence, and refuses to update a closed dispute', async () => {
    const { sandbox, stripe, dispute } = await disputedDestinationCharge();
    const lost = await stripe.disputes.update(dispute.id, { evidence: { uncategorized_text: 'losing_evidence' } });
    expect(lost.status).toBe('lost');
    expect(lost.balance_transactions).toHaveLength(1);
    expect(balanceOf(sandbox, 'platform')).toBe(500 - 6500);
    expect(types(sandbox.events()).slice(-1)).toEqual(['charge.dispute.closed']);
    const error = await stripeError(stripe.disputes.update(dispute.id, { metadata: { late: 'yes' } }));
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    expect(error.message).toContain('already closed');
  });

  it('closes (accepts) a dispute through the API as lost, and the control decides another as won', async () => {
    const first = await disputedDestinationCharge();
    const accepted = await first.stripe.disputes.close(first.dispute.id);
    expect(accepted.status).toBe('lost');
    expect(() => first.sandbox.closeDispute(first.dispute.id, 'won')).toThrow(/already closed/);

    const second = await disputedDestinationCharge();
    const under = await second.stripe.disputes.update(second.dispute.id, { evidence: { product_description: 'A ride' } });
    expect(under.status).toBe('under_review');
    const won = second.sandbox.closeDispute(second.dispute.id, 'won');
    expect(won.status).toBe('won');
    expect(balanceOf(second.sandbox, 'platform')).toBe(500);
    expect(() => second.sandbox.closeDispute('du_missing', 'lost')).toThrow(/No such dispute/);
  });

  it('checks the update parameters against the spec', async () => {
    const { stripe, dispute } = await disputedDestinationCharge();
    const error = await stripeError(stripe.disputes.update(dispute.id, { evidence: { favourite_colour: 'blue' } } as never));
    expect(error).toMatchObject({ code: 'parameter_unknown', param: 'evidence[favourite_colour]' });
  });
});
