import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { list } from '../core/list.js';
import { EXPAND, LIST, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore, type Stored } from '../core/store.js';
import { clone, meta, mergeMetadata, str } from '../core/util.js';
import { invalidRequest, noSuch } from '../errors.js';
import { newCharge, newRefund, newTransfer, newTransferReversal } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { requireTransferDestination } from './accounts.js';
import { FEES, refundFee } from './application-fees.js';
import { CHARGE_META, CHARGES, REFUNDS } from './charges.js';
import { currencyRules, displayAmount, partialAmount, proportionHalfUp, requirePositive } from '../rules/money.js';

/** Transfers, owned by the account they leave (the platform). */
export const TRANSFERS = defineStore<Stripe.Transfer>('transfers');
export const REVERSALS = defineStore<Stripe.TransferReversal>('transfer_reversals');

/** A transfer from `from` (the platform) to a connected account, with its destination payment. The caller emits `transfer.created`. */
export function moveToConnected(
  core: SandboxCore,
  from: string,
  destination: string,
  amount: number,
  currency: string,
  sourceTransaction: string | null,
  transferGroup: string | null,
  metadata: Record<string, string>,
  description: string | null,
): Stripe.Transfer {
  const transferId = core.id('tr');
  const paymentId = core.id('py');
  // Funds transferred from a source charge become available when the charge's do
  // (https://docs.stripe.com/connect/separate-charges-and-transfers#transfer-availability).
  const availableOn = sourceAvailableOn(core, sourceTransaction);
  const outTxn = core.ledger.record({
    account: from,
    amount: -amount,
    currency,
    type: 'transfer',
    reportingCategory: 'transfer',
    source: transferId,
    availableOn,
  });
  const inTxn = core.ledger.record({
    account: destination,
    amount,
    currency,
    type: 'payment',
    reportingCategory: 'charge',
    source: paymentId,
    availableOn,
  });
  const payment = newCharge({
    id: paymentId,
    created: core.nowSeconds(),
    amount,
    currency,
    paymentIntent: null,
    paymentMethod: null,
    card: null,
    status: 'succeeded',
    failure: null,
    applicationFeeAmount: null,
    destination: null,
    onBehalfOf: null,
    metadata: {},
    description: null,
    receiptEmail: null,
    transferGroup,
    balanceTransaction: inTxn.id,
    sourceTransfer: transferId,
  });
  core.state(CHARGES).set(paymentId, destination, payment);
  const transfer = newTransfer({
    id: transferId,
    created: core.nowSeconds(),
    amount,
    currency,
    destination,
    destinationPayment: paymentId,
    sourceTransaction,
    transferGroup,
    metadata,
    description,
    balanceTransaction: outTxn.id,
  });
  core.state(TRANSFERS).set(transferId, from, transfer);
  return transfer;
}

/** When the funds of a source charge become available, or undefined (at once) without one. */
function sourceAvailableOn(core: SandboxCore, sourceTransaction: string | null): number | undefined {
  const txnId = sourceTransaction ? core.state(CHARGES).get(sourceTransaction)?.obj.balance_transaction : null;
  return typeof txnId === 'string' ? core.ledger.transactions.get(txnId)?.obj.available_on : undefined;
}

/**
 * Reverses `amount` of a transfer (for a refund when `sourceRefund` is set) and emits `transfer.reversed`. The
 * destination's payment gets its refund (`pyr_...`, named by the reversal's `destination_payment_refund`).
 * Source: https://docs.stripe.com/api/transfer_reversals/object (`destination_payment_refund`).
 */
export function reverse(
  core: SandboxCore,
  transfer: Stored<Stripe.Transfer>,
  amount: number,
  sourceRefund: string | null,
  metadata: Record<string, string>,
): Stripe.TransferReversal {
  const destination = transfer.obj.destination as string;
  const currency = transfer.obj.currency;
  const reversalId = core.id('trr');
  const platformTxn = core.ledger.record({
    account: transfer.owner,
    amount,
    currency,
    type: 'transfer_refund',
    reportingCategory: 'transfer_reversal',
    source: reversalId,
  });
  const paymentRefund = refundDestinationPayment(core, transfer.obj, amount, reversalId);
  const reversal = newTransferReversal({
    id: reversalId,
    created: core.nowSeconds(),
    amount,
    currency,
    transfer: transfer.obj.id,
    sourceRefund,
    destinationPaymentRefund: paymentRefund?.id ?? null,
    metadata,
    balanceTransaction: platformTxn.id,
  });
  if (!paymentRefund) {
    core.ledger.record({
      account: destination,
      amount: -amount,
      currency,
      type: 'payment_refund',
      reportingCategory: 'refund',
      source: reversalId,
    });
  }
  core.state(REVERSALS).set(reversalId, transfer.owner, reversal);
  const previous = { amount_reversed: transfer.obj.amount_reversed, reversed: transfer.obj.reversed };
  transfer.obj.amount_reversed += amount;
  transfer.obj.reversed = transfer.obj.amount_reversed === transfer.obj.amount;
  transfer.obj.reversals.data.unshift(clone(reversal));
  core.emit('transfer.reversed', transfer.obj, transfer.owner, previous);
  return reversal;
}

/** The refund of the destination's payment (`py_...`) that a reversal of `amount` makes, with its balance transaction. */
function refundDestinationPayment(
  core: SandboxCore,
  transfer: Stripe.Transfer,
  amount: number,
  reversalId: string,
): Stripe.Refund | null {
  const destination = transfer.destination as string;
  const payment = core.state(CHARGES).get(transfer.destination_payment as string);
  if (!payment) return null;
  const refundId = core.id('pyr');
  const txn = core.ledger.record({
    account: destination,
    amount: -amount,
    currency: transfer.currency,
    type: 'payment_refund',
    reportingCategory: 'refund',
    source: refundId,
  });
  const refund = newRefund({
    id: refundId,
    created: core.nowSeconds(),
    amount,
    currency: transfer.currency,
    charge: payment.obj.id,
    paymentIntent: null,
    reason: null,
    metadata: {},
    balanceTransaction: txn.id,
    transferReversal: null,
    paymentMethod: null,
  });
  refund.source_transfer_reversal = reversalId;
  core.state(REFUNDS).set(refundId, destination, refund);
  payment.obj.amount_refunded += amount;
  payment.obj.refunded = payment.obj.amount_refunded === payment.obj.amount;
  return refund;
}

/**
 * True when `transfer` is the one a destination charge created. Reversing it is limited by the charge amount only: the
 * connected account's balance may go negative. A transfer made apart from a charge (`transfer_group`) can be reversed
 * only while the destination's balance covers it. Source: https://docs.stripe.com/api/transfer_reversals.
 */
export function isDestinationChargeTransfer(core: SandboxCore, transfer: Stripe.Transfer): boolean {
  const source = transfer.source_transaction as string | null;
  return source !== null && core.state(CHARGE_META).get(source)?.transfer === transfer.id;
}

function createTransfer(core: SandboxCore, p: Params, requester: string): Stripe.Transfer {
  if (requester !== core.platformId)
    throw invalidRequest('Transfers are created by the platform, without the Stripe-Account header.', { status: 403 });
  const amount = p.amount as number;
  const currency = (p.currency as string).toLowerCase();
  if (!currencyRules(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  requirePositive(amount);
  const destination = p.destination as string;
  requireTransferDestination(core, destination, 'destination');
  const source = str(p.source_transaction);
  if (source) {
    const charge = core.state(CHARGES).get(source);
    if (!charge || charge.owner !== core.platformId)
      throw invalidRequest(`No such charge: '${source}'`, { param: 'source_transaction', code: 'resource_missing' });
    if (charge.obj.status !== 'succeeded')
      throw invalidRequest(`The source transaction ${source} has not succeeded.`, { param: 'source_transaction' });
    if (charge.obj.currency !== currency) {
      throw invalidRequest(
        `The currency of source_transaction's balance transaction (${charge.obj.currency}) must be the same as the transfer currency (${currency})`,
        { param: 'currency' },
      );
    }
    const already = [...core.state(TRANSFERS).values()]
      .filter((t) => t.obj.source_transaction === source)
      .reduce((s, t) => s + t.obj.amount - t.obj.amount_reversed, 0);
    const room = charge.obj.amount - charge.obj.amount_refunded - already;
    if (amount > room) {
      throw invalidRequest(
        `The transfer amount (${displayAmount(amount, currency)}) exceeds what remains of source transaction ${source} (${displayAmount(room, currency)}).`,
        { param: 'amount', code: 'balance_insufficient' },
      );
    }
  } else if (core.ledger.available(core.platformId, currency) < amount) {
    throw invalidRequest(
      'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.',
      { code: 'balance_insufficient' },
    );
  }
  const transfer = moveToConnected(
    core,
    core.platformId,
    destination,
    amount,
    currency,
    source,
    str(p.transfer_group),
    meta(p.metadata),
    str(p.description),
  );
  core.emit('transfer.created', transfer, core.platformId);
  return transfer;
}

function createReversal(core: SandboxCore, transferId: string, p: Params, requester: string): Stripe.TransferReversal {
  const stored = core.state(TRANSFERS).owned(transferId, requester, 'transfer', 'id');
  const remaining = stored.obj.amount - stored.obj.amount_reversed;
  if (remaining === 0)
    throw invalidRequest(`Transfer ${transferId} has already been fully reversed.`, { code: 'transfer_already_reversed' });
  const currency = stored.obj.currency;
  const amount = partialAmount(
    p.amount,
    remaining,
    (a) =>
      `Reversal amount (${displayAmount(a, currency)}) is greater than the amount left on the transfer (${displayAmount(remaining, currency)}).`,
  );
  const destination = stored.obj.destination as string;
  if (!isDestinationChargeTransfer(core, stored.obj) && core.ledger.available(destination, stored.obj.currency) < amount) {
    throw invalidRequest(`Insufficient funds in the connected account ${destination} to reverse this transfer.`, {
      code: 'balance_insufficient',
    });
  }
  const reversal = reverse(core, stored, amount, null, meta(p.metadata));
  if (p.refund_application_fee === true) refundFeeForReversal(core, stored.obj);
  return reversal;
}

/**
 * `refund_application_fee` on a reversal: a full reversal refunds the whole application fee, a partial one the fee's
 * share of the amount reversed so far (rounded half up, on cumulative totals so the parts add up to the fee).
 * Source: https://docs.stripe.com/api/transfer_reversals/create#create_transfer_reversal-refund_application_fee.
 */
function refundFeeForReversal(core: SandboxCore, transfer: Stripe.Transfer): void {
  const source = transfer.source_transaction as string | null;
  const feeId = source ? core.state(CHARGE_META).get(source)?.fee : null;
  const fee = feeId ? core.state(FEES).get(feeId)?.obj : undefined;
  if (!fee) return;
  const due = proportionHalfUp(fee.amount, transfer.amount_reversed, transfer.amount);
  const amount = Math.min(due - fee.amount_refunded, fee.amount - fee.amount_refunded);
  if (amount > 0) refundFee(core, fee, amount);
}

function updateTransfer(core: SandboxCore, id: string, p: Params, requester: string): Stripe.Transfer {
  const stored = core.state(TRANSFERS).owned(id, requester, 'transfer', 'id');
  const previous: Record<string, unknown> = {};
  if (p.metadata !== undefined) {
    previous.metadata = stored.obj.metadata;
    stored.obj.metadata = mergeMetadata(stored.obj.metadata, p.metadata);
  }
  if (p.description !== undefined) {
    previous.description = stored.obj.description;
    stored.obj.description = str(p.description);
  }
  if (Object.keys(previous).length > 0) core.emit('transfer.updated', stored.obj, stored.owner, previous);
  return stored.obj;
}

/** One reversal of `transferId`, when the requester owns the transfer. */
function reversalOf(core: SandboxCore, transferId: string, id: string, requester: string): Stripe.TransferReversal {
  core.state(TRANSFERS).owned(transferId, requester, 'transfer', 'id');
  const found = core.state(REVERSALS).get(id);
  if (!found || found.obj.transfer !== transferId) throw noSuch('transfer_reversal', id);
  return found.obj;
}

function updateReversal(
  core: SandboxCore,
  transferId: string,
  id: string,
  p: Params,
  requester: string,
): Stripe.TransferReversal {
  const reversal = reversalOf(core, transferId, id, requester);
  if (p.metadata !== undefined) {
    reversal.metadata = mergeMetadata(reversal.metadata ?? {}, p.metadata);
    const transfer = core.state(TRANSFERS).get(transferId) as Stored<Stripe.Transfer>;
    const copy = transfer.obj.reversals.data.find((r) => r.id === id);
    if (copy) copy.metadata = clone(reversal.metadata);
  }
  return reversal;
}

const TRANSFER_CREATE: SpecObject = {
  ...EXPAND,
  amount: 'integer!',
  currency: 'string!',
  destination: 'string!',
  source_transaction: 'string',
  transfer_group: 'string',
  metadata: 'metadata',
  description: 'string',
};

const REVERSAL_CREATE: SpecObject = {
  ...EXPAND,
  amount: 'integer',
  metadata: 'metadata',
  description: 'string',
  refund_application_fee: 'boolean',
};

export const transfers: ResourceModule = {
  name: 'transfers',
  objects: [TRANSFERS, REVERSALS],
  routes: [
    {
      method: 'POST',
      path: '/v1/transfers',
      params: TRANSFER_CREATE,
      handler: (core, { params, account }) => createTransfer(core, params, account),
    },
    listRoute(TRANSFERS, '/v1/transfers', { destination: 'string', transfer_group: 'string' }),
    retrieveRoute(TRANSFERS, '/v1/transfers', 'transfer', 'transfer'),
    {
      method: 'POST',
      path: '/v1/transfers/:id/reversals',
      params: REVERSAL_CREATE,
      handler: (core, { path, params, account }) => createReversal(core, path.id as string, params, account),
    },
    {
      method: 'GET',
      path: '/v1/transfers/:id/reversals',
      params: LIST,
      handler: (core, { path, params, account }) => {
        const transfer = core.state(TRANSFERS).owned(path.id as string, account, 'transfer', 'id').obj;
        const all = [...core.state(REVERSALS).values()].filter((r) => r.obj.transfer === transfer.id).map((r) => r.obj);
        return list(all, params, `/v1/transfers/${transfer.id}/reversals`);
      },
    },
    {
      method: 'POST',
      path: '/v1/transfers/:id',
      params: { ...EXPAND, metadata: 'metadata', description: 'string' },
      handler: (core, { path, params, account }) => updateTransfer(core, path.id as string, params, account),
    },
    {
      method: 'GET',
      path: '/v1/transfers/:transfer/reversals/:id',
      params: EXPAND,
      handler: (core, { path, account }) => reversalOf(core, path.transfer as string, path.id as string, account),
    },
    {
      method: 'POST',
      path: '/v1/transfers/:transfer/reversals/:id',
      params: { ...EXPAND, metadata: 'metadata' },
      handler: (core, { path, params, account }) =>
        updateReversal(core, path.transfer as string, path.id as string, params, account),
    },
  ],
};
