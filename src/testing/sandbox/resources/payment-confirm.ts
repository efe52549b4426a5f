import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import type { Stored } from '../core/store.js';
import { clone, str } from '../core/util.js';
import { cardOutcome } from '../cards.js';
import { cardError, invalidRequest, unexpectedState } from '../errors.js';
import { newApplicationFee, newCharge, type CardInfo } from '../objects.js';
import type { Params } from '../params.js';
import { FEES } from './application-fees.js';
import { CHARGE_META, CHARGES, type ChargeMeta } from './charges.js';
import { openDispute } from './disputes.js';
import { moveToConnected } from './transfers.js';

/** Called after a PaymentIntent succeeds (an invoice's PaymentIntent pays its invoice). */
export const INTENT_SUCCEEDED_HOOKS: ((core: SandboxCore, intent: Stored<Stripe.PaymentIntent>) => void)[] = [];

/**
 * Confirms a PaymentIntent with its payment method: a declined test card leaves a failed charge and throws the card
 * error; any other creates the charge, the transfer of a destination charge and the application fee.
 */
export function confirm(core: SandboxCore, stored: Stored<Stripe.PaymentIntent>, p: Params): Stripe.PaymentIntent {
  const intent = stored.obj;
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    throw unexpectedState(
      `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
    );
  }
  const paymentMethod = str(p.payment_method) ?? (typeof intent.payment_method === 'string' ? intent.payment_method : null);
  if (!paymentMethod) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      { code: 'payment_intent_unexpected_state' },
    );
  }
  const outcome = cardOutcome(paymentMethod);
  if (!outcome)
    throw invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, { param: 'payment_method', code: 'resource_missing' });
  const apm = intent.automatic_payment_methods;
  // An off-session payment has no customer to redirect: it needs no return_url
  // (https://docs.stripe.com/api/payment_intents/confirm#confirm_payment_intent-off_session).
  const offSession = p.off_session === true;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !str(p.return_url) && !p.__hosted && !offSession) {
    throw invalidRequest(
      "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      { param: 'return_url' },
    );
  }
  if (p.receipt_email !== undefined) intent.receipt_email = str(p.receipt_email);
  intent.payment_method = paymentMethod;
  if (outcome.decline) return decline(core, stored, paymentMethod, outcome.card, outcome.decline);
  const availableOn = outcome.bypassPending ? undefined : core.ledger.paymentAvailableOn();
  const charge = succeed(core, stored, paymentMethod, outcome.card, stored.owner, availableOn);
  for (const hook of INTENT_SUCCEEDED_HOOKS) hook(core, stored);
  if (outcome.dispute) openDispute(core, charge, stored.owner, outcome.dispute);
  return intent;
}

/** The charge fields a PaymentIntent's charge copies from it. */
function chargeOf(intent: Stripe.PaymentIntent, paymentMethod: string, card: CardInfo) {
  return {
    amount: intent.amount,
    currency: intent.currency,
    paymentIntent: intent.id,
    paymentMethod,
    card,
    applicationFeeAmount: intent.application_fee_amount,
    destination: (intent.transfer_data?.destination as string | undefined) ?? null,
    onBehalfOf: intent.on_behalf_of as string | null,
    metadata: { ...intent.metadata },
    description: intent.description,
    receiptEmail: intent.receipt_email,
    transferGroup: intent.transfer_group,
    sourceTransfer: null,
  };
}

function decline(
  core: SandboxCore,
  stored: Stored<Stripe.PaymentIntent>,
  paymentMethod: string,
  card: CardInfo,
  decline: { code: string; declineCode: string | undefined; message: string },
): never {
  const intent = stored.obj;
  const charge = newCharge({
    ...chargeOf(intent, paymentMethod, card),
    id: core.id('ch'),
    created: core.nowSeconds(),
    status: 'failed',
    failure: { code: decline.code, declineCode: decline.declineCode ?? null, message: decline.message },
    balanceTransaction: null,
  });
  core.state(CHARGES).set(charge.id, stored.owner, charge);
  intent.latest_charge = charge.id;
  intent.status = 'requires_payment_method';
  intent.last_payment_error = {
    type: 'card_error',
    charge: charge.id,
    code: decline.code,
    ...(decline.declineCode ? { decline_code: decline.declineCode } : {}),
    doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
    message: decline.message,
  } as Stripe.PaymentIntent.LastPaymentError;
  intent.payment_method = null;
  core.emit('charge.failed', charge, stored.owner);
  core.emit('payment_intent.payment_failed', intent, stored.owner);
  throw cardError(decline.code, decline.declineCode, decline.message, { charge: charge.id, payment_intent: clone(intent) });
}

function succeed(
  core: SandboxCore,
  stored: Stored<Stripe.PaymentIntent>,
  paymentMethod: string,
  card: CardInfo,
  merchant: string,
  availableOn: number | undefined,
): Stripe.Charge {
  const intent = stored.obj;
  const amount = intent.amount;
  const currency = intent.currency;
  const chargeId = core.id('ch');
  const chargeTxn = core.ledger.record({
    account: merchant,
    amount,
    fee: core.ledger.processingFee(amount),
    currency,
    type: 'charge',
    reportingCategory: 'charge',
    source: chargeId,
    availableOn,
  });
  const fields = chargeOf(intent, paymentMethod, card);
  const destination = fields.destination;
  const charge = newCharge({
    ...fields,
    id: chargeId,
    created: core.nowSeconds(),
    status: 'succeeded',
    failure: null,
    balanceTransaction: chargeTxn.id,
  });
  const chargeInfo: ChargeMeta = { transfer: null, fee: null, feePayer: null, reversedByRefunds: 0, feeRefundedByRefunds: 0 };
  core.state(CHARGES).set(chargeId, merchant, charge);
  core.state(CHARGE_META).set(chargeId, chargeInfo);
  intent.status = 'succeeded';
  intent.amount_received = amount;
  intent.latest_charge = chargeId;
  intent.last_payment_error = null;

  // The transfer and the application fee are created with the charge, so the events below all show them.
  let transfer: Stripe.Transfer | null = null;
  if (destination) {
    const transferAmount = (intent.transfer_data?.amount as number | undefined) ?? amount;
    transfer = moveToConnected(core, merchant, destination, transferAmount, currency, chargeId, intent.transfer_group, {}, null);
    charge.transfer = transfer.id;
    chargeInfo.transfer = transfer.id;
  }
  const fee = intent.application_fee_amount;
  let applicationFee: Stripe.ApplicationFee | null = null;
  if (fee !== null && fee > 0) {
    const payer = destination ?? merchant;
    const feeId = core.id('fee');
    const entry = {
      currency,
      type: 'application_fee',
      reportingCategory: 'platform_earning',
      source: feeId,
      availableOn,
    } as const;
    core.ledger.record({ ...entry, account: payer, amount: -fee, description: 'Application fee' });
    const platformTxn = core.ledger.record({ ...entry, account: core.platformId, amount: fee });
    applicationFee = newApplicationFee({
      id: feeId,
      created: core.nowSeconds(),
      amount: fee,
      currency,
      account: payer,
      application: 'ca_sandbox',
      charge: destination ? ((transfer?.destination_payment as string | null) ?? chargeId) : chargeId,
      originatingTransaction: destination ? chargeId : null,
      balanceTransaction: platformTxn.id,
    });
    core.state(FEES).set(feeId, core.platformId, applicationFee);
    charge.application_fee = feeId;
    chargeInfo.fee = feeId;
    chargeInfo.feePayer = payer;
  }
  core.emit('charge.succeeded', charge, merchant);
  core.emit('payment_intent.succeeded', intent, merchant);
  if (transfer) core.emit('transfer.created', transfer, merchant);
  if (applicationFee) core.emit('application_fee.created', applicationFee, core.platformId);
  return charge;
}
