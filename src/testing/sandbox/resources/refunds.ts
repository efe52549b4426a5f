import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { nextShare } from '../core/ledger.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import type { Stored } from '../core/store.js';
import { meta, mergeMetadata, str } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import { newRefund } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { FEES, refundFee } from './application-fees.js';
import { CHARGE_META, CHARGES, type ChargeMeta, REFUNDS } from './charges.js';
import { INTENTS } from './payment-intents.js';
import { reverse, TRANSFERS } from './transfers.js';
import { currencyRules, displayAmount, partialAmount } from '../rules/money.js';

export { REFUNDS };

/** The charge a refund names, directly or through its PaymentIntent; it must have succeeded and have something left. */
function refundableCharge(core: SandboxCore, p: Params, requester: string): Stripe.Charge {
  let chargeId = str(p.charge);
  const intentId = str(p.payment_intent);
  if (chargeId && intentId)
    throw invalidRequest('You can only pass one of charge or payment_intent.', { param: 'payment_intent' });
  if (!chargeId && !intentId) {
    throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
      code: 'parameter_missing',
    });
  }
  if (intentId) {
    const intent = core.state(INTENTS).owned(intentId, requester, 'payment_intent', 'payment_intent');
    if (intent.obj.status !== 'succeeded' || !intent.obj.latest_charge) {
      throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
        param: 'payment_intent',
      });
    }
    chargeId = intent.obj.latest_charge as string;
  }
  const charge = core.state(CHARGES).owned(chargeId as string, requester, 'charge', 'charge').obj;
  if (charge.status !== 'succeeded')
    throw invalidRequest(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, { param: 'charge' });
  if (charge.amount === charge.amount_refunded)
    throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { param: 'charge', code: 'charge_already_refunded' });
  return charge;
}

function createRefund(core: SandboxCore, p: Params, requester: string): Stripe.Refund {
  const charge = refundableCharge(core, p, requester);
  const remaining = charge.amount - charge.amount_refunded;
  const amount = partialAmount(
    p.amount,
    remaining,
    (a) =>
      `Refund amount (${displayAmount(a, charge.currency)}) is greater than unrefunded amount on charge (${displayAmount(remaining, charge.currency)})`,
  );
  // Refunds in three-decimal currencies (and ISK, UGX) follow the charge's rule: https://docs.stripe.com/currencies#three-decimal
  const multipleOf = currencyRules(charge.currency)?.multipleOf ?? 1;
  if (amount % multipleOf !== 0) {
    throw invalidRequest(`Amounts in ${charge.currency.toUpperCase()} must be a multiple of ${multipleOf}.`, {
      param: 'amount',
      code: 'invalid_charge_amount',
    });
  }
  const info = core.state(CHARGE_META).get(charge.id) as ChargeMeta;
  const reverseTransfer = p.reverse_transfer === true;
  const refundsFee = p.refund_application_fee === true;
  if (reverseTransfer && !info.transfer)
    throw invalidRequest('reverse_transfer can only be used on destination charges (a charge with transfer_data[destination]).', {
      param: 'reverse_transfer',
    });
  if (refundsFee && !info.fee)
    throw invalidRequest('This charge has no application fee to refund.', { param: 'refund_application_fee' });
  if (refundsFee && info.transfer && !reverseTransfer) {
    throw invalidRequest('refund_application_fee requires reverse_transfer=true on destination charges.', {
      param: 'refund_application_fee',
    });
  }
  if (refundsFee && requester !== core.platformId) {
    throw invalidRequest('Only the platform can refund its application fee.', { param: 'refund_application_fee' });
  }
  const refundedAfter = charge.amount_refunded + amount;
  let reversal = 0;
  let transfer: Stored<Stripe.Transfer> | undefined;
  if (reverseTransfer && info.transfer) {
    transfer = core.state(TRANSFERS).get(info.transfer) as Stored<Stripe.Transfer>;
    const t = transfer.obj;
    reversal = nextShare(t.amount, info.reversedByRefunds, t.amount - t.amount_reversed, refundedAfter, charge.amount);
  }
  let feeRefund = 0;
  let fee: Stored<Stripe.ApplicationFee> | undefined;
  if (refundsFee && info.fee) {
    fee = core.state(FEES).get(info.fee) as Stored<Stripe.ApplicationFee>;
    const f = fee.obj;
    feeRefund = nextShare(f.amount, info.feeRefundedByRefunds, f.amount - f.amount_refunded, refundedAfter, charge.amount);
  }
  // A destination charge's transfer is reversed up to the charge amount whatever the connected account's balance:
  // the account may go negative (https://docs.stripe.com/api/transfer_reversals).
  const refundId = core.id('re');
  const refundTxn = core.ledger.record({
    account: requester,
    amount: -amount,
    currency: charge.currency,
    type: 'refund',
    reportingCategory: 'refund',
    source: refundId,
  });
  let reversalObj: Stripe.TransferReversal | null = null;
  if (transfer && reversal > 0) {
    reversalObj = reverse(core, transfer, reversal, refundId, {});
    info.reversedByRefunds += reversal;
  }
  const refund = newRefund({
    id: refundId,
    created: core.nowSeconds(),
    amount,
    currency: charge.currency,
    charge: charge.id,
    paymentIntent: charge.payment_intent as string | null,
    reason: (str(p.reason) ?? null) as Stripe.Refund.Reason | null,
    metadata: meta(p.metadata),
    balanceTransaction: refundTxn.id,
    transferReversal: reversalObj?.id ?? null,
    paymentMethod: charge.payment_method,
  });
  core.state(REFUNDS).set(refundId, requester, refund);
  const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
  charge.amount_refunded = refundedAfter;
  charge.refunded = refundedAfter === charge.amount;
  core.emit('refund.created', refund, requester);
  core.emit('charge.refunded', charge, requester, previous);
  if (fee && feeRefund > 0) {
    refundFee(core, fee.obj, feeRefund);
    info.feeRefundedByRefunds += feeRefund;
  }
  return refund;
}

/**
 * Fails a refund as the card network may do after it succeeded (for example to a closed card): its status becomes
 * `failed` with `failure_reason`, a `refund_failure` balance transaction gives the amount back to the refunding
 * account (`failure_balance_transaction`), the charge's refunded amount goes down by it, and `refund.failed` is
 * emitted. Sources: https://docs.stripe.com/refunds (a refund the customer's bank or card issuer cannot process is
 * marked as failed) and the Refund object (https://docs.stripe.com/api/refunds/object: `failure_balance_transaction`
 * "reverses the initial balance transaction"; `failure_reason` is `lost_or_stolen_card`, `expired_or_canceled_card` or
 * `unknown`). That the charge's `amount_refunded` goes down again is the sandbox's reading, not documented.
 */
export function failRefund(core: SandboxCore, id: string, reason: string): Stripe.Refund {
  const stored = core.state(REFUNDS).get(id);
  if (!stored) throw invalidRequest(`No such refund: '${id}'`, { code: 'resource_missing', param: 'id' });
  const refund = stored.obj;
  if (refund.status === 'failed' || refund.status === 'canceled')
    throw invalidRequest(`Refund ${id} is already ${refund.status}.`);
  const txn = core.ledger.record({
    account: stored.owner,
    amount: refund.amount,
    currency: refund.currency,
    type: 'refund_failure',
    reportingCategory: 'refund_failure',
    source: id,
  });
  const previous = { status: refund.status };
  refund.status = 'failed';
  refund.failure_reason = reason;
  refund.failure_balance_transaction = txn.id;
  const charge = core.state(CHARGES).get(refund.charge as string)?.obj;
  if (charge) {
    charge.amount_refunded -= refund.amount;
    charge.refunded = false;
  }
  core.emit('refund.failed', refund, stored.owner, previous);
  return refund;
}

/** `POST /v1/refunds/:id`: only `metadata` can change (https://docs.stripe.com/api/refunds/update). */
function updateRefund(core: SandboxCore, id: string, p: Params, requester: string): Stripe.Refund {
  const stored = core.state(REFUNDS).owned(id, requester, 'refund', 'refund');
  if (p.metadata !== undefined) {
    const previous = { metadata: stored.obj.metadata };
    stored.obj.metadata = mergeMetadata(stored.obj.metadata ?? {}, p.metadata);
    core.emit('refund.updated', stored.obj, stored.owner, previous);
  }
  return stored.obj;
}

const REFUND_CREATE: SpecObject = {
  ...EXPAND,
  charge: 'string',
  payment_intent: 'string',
  amount: 'integer',
  reason: 'enum:duplicate|fraudulent|requested_by_customer',
  metadata: 'metadata',
  reverse_transfer: 'boolean',
  refund_application_fee: 'boolean',
  instructions_email: 'string',
};

export const refunds: ResourceModule = {
  name: 'refunds',
  objects: [REFUNDS],
  routes: [
    {
      method: 'POST',
      path: '/v1/refunds',
      params: REFUND_CREATE,
      handler: (core, { params, account }) => createRefund(core, params, account),
    },
    listRoute(REFUNDS, '/v1/refunds', { charge: 'string', payment_intent: 'string' }),
    retrieveRoute(REFUNDS, '/v1/refunds', 'refund', 'refund'),
    {
      method: 'POST',
      path: '/v1/refunds/:id',
      params: { ...EXPAND, metadata: 'metadata' },
      handler: (core, { path, params, account }) => updateRefund(core, path.id as string, params, account),
    },
  ],
};
