import type Stripe from 'stripe';
import { currencyInfo, formatAmount } from '../../../money/currencies.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore, type Stored } from '../core/store.js';
import { clone, meta, num, str } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import { newCharge, newTransfer, newTransferReversal } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { requireTransferDestination } from './accounts.js';
import { CHARGES } from './charges.js';

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

/** Reverses `amount` of a transfer (for a refund when `sourceRefund` is set) and emits `transfer.reversed`. */
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
  core.ledger.record({
    account: destination,
    amount: -amount,
    currency,
    type: 'payment_refund',
    reportingCategory: 'refund',
    source: reversalId,
  });
  const reversal = newTransferReversal({
    id: reversalId,
    created: core.nowSeconds(),
    amount,
    currency,
    transfer: transfer.obj.id,
    sourceRefund,
    destinationPaymentRefund: null,
    metadata,
    balanceTransaction: platformTxn.id,
  });
  core.state(REVERSALS).set(reversalId, transfer.owner, reversal);
  const previous = { amount_reversed: transfer.obj.amount_reversed, reversed: transfer.obj.reversed };
  transfer.obj.amount_reversed += amount;
  transfer.obj.reversed = transfer.obj.amount_reversed === transfer.obj.amount;
  transfer.obj.reversals.data.unshift(clone(reversal));
  core.emit('transfer.reversed', transfer.obj, transfer.owner, previous);
  return reversal;
}

function createTransfer(core: SandboxCore, p: Params, requester: string): Stripe.Transfer {
  if (requester !== core.platformId)
    throw invalidRequest('Transfers are created by the platform, without the Stripe-Account header.', { status: 403 });
  const amount = p.amount as number;
  const currency = (p.currency as string).toLowerCase();
  if (!currencyInfo(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  if (amount < 1)
    throw invalidRequest('This value must be greater than or equal to 1.', {
      param: 'amount',
      code: 'parameter_invalid_integer',
    });
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
        `The transfer amount (${formatAmount(amount, currency)}) exceeds what remains of source transaction ${source} (${formatAmount(room, currency)}).`,
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
  const amount = num(p.amount) ?? remaining;
  if (amount < 1)
    throw invalidRequest('This value must be greater than or equal to 1.', {
      param: 'amount',
      code: 'parameter_invalid_integer',
    });
  if (amount > remaining) {
    throw invalidRequest(
      `Reversal amount (${formatAmount(amount, stored.obj.currency)}) is greater than the amount left on the transfer (${formatAmount(remaining, stored.obj.currency)}).`,
      { param: 'amount' },
    );
  }
  const destination = stored.obj.destination as string;
  if (core.ledger.available(destination, stored.obj.currency) < amount) {
    throw invalidRequest(`Insufficient funds in the connected account ${destination} to reverse this transfer.`, {
      code: 'balance_insufficient',
    });
  }
  return reverse(core, stored, amount, null, meta(p.metadata));
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
      params: null,
      handler: (core, { path, account }) =>
        core.state(TRANSFERS).owned(path.id as string, account, 'transfer', 'id').obj.reversals,
    },
  ],
};
