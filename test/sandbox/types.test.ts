import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { paidIntent, readyAccount, setup } from './helpers.js';

/**
 * The required (non-optional) fields of stripe-node's types. `satisfies Record<RequiredKeys<T>, true>` makes the
 * compiler reject a list that misses or invents a field, so these lists follow stripe-node's own types; the test
 * then checks that every one of them is present in what the sandbox sends over the wire.
 */
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];
const keys =
  <T>() =>
  <R extends Record<RequiredKeys<T>, true>>(r: R & Record<Exclude<keyof R, RequiredKeys<T>>, never>) =>
    Object.keys(r);

const PAYMENT_INTENT = keys<Stripe.PaymentIntent>()({
  id: true,
  object: true,
  allowed_payment_method_types: true,
  amount: true,
  amount_capturable: true,
  amount_received: true,
  application: true,
  application_fee_amount: true,
  automatic_payment_methods: true,
  canceled_at: true,
  cancellation_reason: true,
  capture_method: true,
  client_secret: true,
  confirmation_method: true,
  created: true,
  currency: true,
  customer: true,
  customer_account: true,
  description: true,
  excluded_payment_method_types: true,
  last_payment_error: true,
  latest_charge: true,
  livemode: true,
  managed_payments: true,
  metadata: true,
  next_action: true,
  on_behalf_of: true,
  payment_method: true,
  payment_method_configuration_details: true,
  payment_method_options: true,
  payment_method_types: true,
  payment_record: true,
  processing: true,
  receipt_email: true,
  review: true,
  setup_future_usage: true,
  shipping: true,
  source: true,
  statement_descriptor: true,
  statement_descriptor_suffix: true,
  status: true,
  transfer_group: true,
});
const CHARGE = keys<Stripe.Charge>()({
  object: true,
  id: true,
  amount: true,
  application: true,
  application_fee_amount: true,
  created: true,
  currency: true,
  customer: true,
  description: true,
  livemode: true,
  metadata: true,
  on_behalf_of: true,
  payment_method: true,
  receipt_email: true,
  review: true,
  shipping: true,
  source: true,
  statement_descriptor: true,
  statement_descriptor_suffix: true,
  status: true,
  transfer_data: true,
  transfer_group: true,
  amount_captured: true,
  amount_refunded: true,
  application_fee: true,
  balance_transaction: true,
  billing_details: true,
  calculated_statement_descriptor: true,
  captured: true,
  disputed: true,
  failure_balance_transaction: true,
  failure_code: true,
  failure_message: true,
  fraud_details: true,
  outcome: true,
  paid: true,
  payment_intent: true,
  payment_method_details: true,
  receipt_number: true,
  receipt_url: true,
  refunded: true,
  source_transfer: true,
});
const ACCOUNT = keys<Stripe.Account>()({
  object: true,
  id: true,
  charges_enabled: true,
  details_submitted: true,
  email: true,
  payouts_enabled: true,
  type: true,
});
const REFUND = keys<Stripe.Refund>()({
  object: true,
  id: true,
  amount: true,
  created: true,
  currency: true,
  customer: true,
  customer_account: true,
  metadata: true,
  payment_method: true,
  status: true,
  balance_transaction: true,
  payment_intent: true,
  receipt_number: true,
  charge: true,
  reason: true,
  source_transfer_reversal: true,
  transfer_reversal: true,
});
const TRANSFER = keys<Stripe.Transfer>()({
  object: true,
  id: true,
  amount: true,
  created: true,
  currency: true,
  description: true,
  livemode: true,
  metadata: true,
  transfer_group: true,
  balance_transaction: true,
  amount_reversed: true,
  destination: true,
  reversals: true,
  reversed: true,
  source_transaction: true,
});
const APPLICATION_FEE = keys<Stripe.ApplicationFee>()({
  object: true,
  id: true,
  amount: true,
  application: true,
  created: true,
  currency: true,
  livemode: true,
  amount_refunded: true,
  balance_transaction: true,
  refunded: true,
  refunds: true,
  charge: true,
  account: true,
  fee_source: true,
  originating_transaction: true,
});
const BALANCE_TRANSACTION = keys<Stripe.BalanceTransaction>()({
  object: true,
  id: true,
  amount: true,
  created: true,
  currency: true,
  description: true,
  source: true,
  status: true,
  type: true,
  available_on: true,
  balance_type: true,
  exchange_rate: true,
  fee: true,
  fee_details: true,
  net: true,
  reporting_category: true,
});
const EVENT = keys<Stripe.PaymentIntentSucceededEvent>()({
  object: true,
  id: true,
  created: true,
  livemode: true,
  type: true,
  data: true,
  api_version: true,
  pending_webhooks: true,
  request: true,
});

function expectKeys(object: object, required: string[]) {
  const missing = required.filter((k) => !(k in object));
  expect(missing).toEqual([]);
}

describe('response objects follow stripe-node’s types', () => {
  it('every required field of each type is on the wire', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent: Stripe.PaymentIntent = await paidIntent(stripe, driver);
    const charge: Stripe.Charge = await stripe.charges.retrieve(intent.latest_charge as string);
    const account: Stripe.Account = await stripe.accounts.retrieve(driver);
    const refund: Stripe.Refund = await stripe.refunds.create({
      charge: charge.id,
      amount: 500,
      reverse_transfer: true,
      refund_application_fee: true,
    });
    const transfer: Stripe.Transfer = await stripe.transfers.retrieve(charge.transfer as string);
    const fee: Stripe.ApplicationFee = await stripe.applicationFees.retrieve(charge.application_fee as string);
    const txn: Stripe.BalanceTransaction = await stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    const event: Stripe.Event = await stripe.events.retrieve(
      (await stripe.events.list({ type: 'payment_intent.succeeded' })).data[0]!.id,
    );
    expectKeys(intent, PAYMENT_INTENT);
    expectKeys(charge, CHARGE);
    expectKeys(account, ACCOUNT);
    expectKeys(refund, REFUND);
    expectKeys(transfer, TRANSFER);
    expectKeys(fee, APPLICATION_FEE);
    expectKeys(txn, BALANCE_TRANSACTION);
    expectKeys(event, EVENT);
    expect(event.type === 'payment_intent.succeeded' && event.data.object.id).toBe(intent.id);
  });
});
