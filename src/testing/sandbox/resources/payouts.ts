import type Stripe from 'stripe';
import { displayAmount as formatAmount } from '../rules/money.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore, type Stored } from '../core/store.js';
import { meta, str } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { requireAccount } from './accounts.js';

/** Payouts, owned by the connected account they pay out. */
export const PAYOUTS = defineStore<Stripe.Payout>('payouts');
/** Bank accounts of connected accounts, owned by the connected account. */
export const EXTERNAL_ACCOUNTS = defineStore<Stripe.BankAccount>('external_accounts');

/** Days from a payout's creation to its `arrival_date` (the sandbox's choice: Stripe's depends on the country). */
export const PAYOUT_ARRIVAL_DAYS = 1;

/**
 * Stripe's test bank account numbers that make a payout fail, with the failure code
 * (https://docs.stripe.com/connect/testing#payouts) and the message of that code
 * (https://docs.stripe.com/api/payouts/failures). Any other number pays out.
 */
const FAILING_ACCOUNTS: Record<string, { code: string; message: string }> = {
  '000111111116': {
    code: 'no_account',
    message: 'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  },
  '000111111113': { code: 'account_closed', message: 'The bank account has been closed.' },
  '000222222227': {
    code: 'insufficient_funds',
    message: 'Your Stripe account has insufficient funds to cover the payout.',
  },
  '000333333335': {
    code: 'debit_not_authorized',
    message:
      'Debit transactions are not approved on the bank account. (Stripe requires bank accounts to be set up for both credit and debit payouts.)',
  },
  '000444444440': {
    code: 'invalid_currency',
    message:
      'The bank was unable to process this payout because of its currency. This is probably because the bank account cannot accept payments in that currency.',
  },
};

/** The account numbers of bank accounts, kept apart from the object (Stripe returns only `last4`). */
const fullNumbers = new WeakMap<Stripe.BankAccount, string>();

function createExternalAccount(core: SandboxCore, accountId: string, p: Params, requester: string): Stripe.BankAccount {
  if (requester !== core.platformId && requester !== accountId)
    throw invalidRequest('Only the platform or the account itself can add its external accounts.', { status: 403 });
  const account = requireAccount(core, accountId);
  const details = p.external_account as Record<string, string>;
  const currency = details.currency?.toLowerCase() as string;
  const number = details.account_number as string;
  const existing = [...core.state(EXTERNAL_ACCOUNTS).values()].filter(
    (s) => s.owner === accountId && s.obj.currency === currency,
  );
  const bank = {
    id: core.id('ba'),
    object: 'bank_account',
    account: accountId,
    account_holder_name: details.account_holder_name ?? null,
    account_holder_type: details.account_holder_type ?? null,
    account_type: null,
    available_payout_methods: ['standard'],
    bank_name: 'STRIPE TEST BANK',
    country: details.country as string,
    currency,
    default_for_currency: existing.length === 0 || p.default_for_currency === true,
    fingerprint: `fp${number.slice(-8)}`,
    last4: number.slice(-4),
    metadata: meta(p.metadata),
    routing_number: details.routing_number ?? null,
    status: 'new',
  } as Stripe.BankAccount;
  if (bank.default_for_currency) for (const other of existing) other.obj.default_for_currency = false;
  fullNumbers.set(bank, number);
  core.state(EXTERNAL_ACCOUNTS).set(bank.id, accountId, bank);
  account.external_accounts?.data.push(bank);
  return bank;
}

/** Pays `amount` out of `account`'s available balance to its bank account; emits `payout.created` (a Connect event). */
export function createPayout(
  core: SandboxCore,
  account: string,
  fields: {
    amount: number;
    currency: string;
    destination?: string | null;
    automatic: boolean;
    description?: string | null;
    metadata?: Record<string, string>;
  },
): Stripe.Payout {
  const { amount, currency } = fields;
  if (amount < 1)
    throw invalidRequest('This value must be greater than or equal to 1.', {
      param: 'amount',
      code: 'parameter_invalid_integer',
    });
  const banks = [...core.state(EXTERNAL_ACCOUNTS).values()].filter((s) => s.owner === account);
  const bank = fields.destination
    ? banks.find((s) => s.obj.id === fields.destination)
    : banks.find((s) => s.obj.currency === currency && s.obj.default_for_currency);
  if (!bank) {
    if (fields.destination)
      throw invalidRequest(`No such external account: '${fields.destination}'`, {
        param: 'destination',
        code: 'resource_missing',
        status: 404,
      });
    throw invalidRequest(`Sorry, you don't have any external accounts in that currency (${currency}).`, { param: 'currency' });
  }
  const available = core.ledger.available(account, currency);
  if (available < amount) {
    throw invalidRequest(
      `You have insufficient funds in your Stripe account for this transfer. Your balance in ${currency} is ${formatAmount(available, currency)}.`,
      { code: 'balance_insufficient' },
    );
  }
  const id = core.id('po');
  const created = core.nowSeconds();
  const txn = core.ledger.record({ account, amount: -amount, currency, type: 'payout', reportingCategory: 'payout', source: id });
  const payout = {
    id,
    object: 'payout',
    amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: created + PAYOUT_ARRIVAL_DAYS * 86_400,
    automatic: fields.automatic,
    balance_transaction: txn.id,
    created,
    currency,
    description: fields.description ?? null,
    destination: bank.obj.id,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: fields.metadata ?? {},
    method: 'standard',
    original_payout: null,
    reconciliation_status: 'not_applicable',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: null,
    status: 'pending',
    trace_id: null,
    type: 'bank_account',
  } as unknown as Stripe.Payout;
  core.state(PAYOUTS).set(id, account, payout);
  core.emit('payout.created', payout, account);
  return payout;
}

/**
 * Settles a pending payout whose `arrival_date` has passed: `paid`, or `failed` for a failing test bank account (the
 * amount comes back to the balance as a `payout_failure` transaction, and the bank account becomes `errored`: Stripe
 * "will not continue to send scheduled payouts until the bank details are updated",
 * https://docs.stripe.com/api/external_account_bank_accounts/object#account_bank_account_object-status). Emits
 * `payout.paid` or `payout.failed`.
 */
export function arrive(core: SandboxCore, stored: Stored<Stripe.Payout>): void {
  const payout = stored.obj;
  const bank = core.state(EXTERNAL_ACCOUNTS).get(payout.destination as string)?.obj;
  const failure = bank ? FAILING_ACCOUNTS[fullNumbers.get(bank) ?? ''] : undefined;
  if (!failure) {
    payout.status = 'paid';
    core.emit('payout.paid', payout, stored.owner, { status: 'pending' });
    return;
  }
  failPayout(core, stored, failure);
}

/** The failure codes a payout can fail with in the sandbox, and their messages (https://docs.stripe.com/api/payouts/failures). */
export const PAYOUT_FAILURES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.values(FAILING_ACCOUNTS).map((f) => [f.code, f.message])),
);

/**
 * Fails a pending, in-transit or paid payout (Stripe: "Some payouts that fail might initially show as `paid`, then change
 * to `failed`", https://docs.stripe.com/api/payouts/object): its amount comes back to the balance as a `payout_failure`
 * transaction, its bank account becomes `errored`, and `payout.failed` is emitted.
 */
export function failPayout(core: SandboxCore, stored: Stored<Stripe.Payout>, failure: { code: string; message: string }): void {
  const payout = stored.obj;
  const bank = core.state(EXTERNAL_ACCOUNTS).get(payout.destination as string)?.obj;
  const txn = core.ledger.record({
    account: stored.owner,
    amount: payout.amount,
    currency: payout.currency,
    type: 'payout_failure',
    reportingCategory: 'payout_reversal',
    source: payout.id,
  });
  if (bank) bank.status = 'errored';
  const previous = { status: payout.status, failure_code: null, failure_message: null };
  payout.status = 'failed';
  payout.failure_code = failure.code;
  payout.failure_message = failure.message;
  payout.failure_balance_transaction = txn.id;
  core.emit('payout.failed', payout, stored.owner, previous);
}

const EXTERNAL_ACCOUNT_CREATE: SpecObject = {
  ...EXPAND,
  external_account: {
    '!': true,
    object: 'enum:bank_account!',
    country: 'string!',
    currency: 'string!',
    account_number: 'string!',
    routing_number: 'string',
    account_holder_name: 'string',
    account_holder_type: 'enum:individual|company',
  },
  default_for_currency: 'boolean',
  metadata: 'metadata',
};

const PAYOUT_CREATE: SpecObject = {
  ...EXPAND,
  amount: 'integer!',
  currency: 'string!',
  destination: 'string',
  description: 'string',
  metadata: 'metadata',
  statement_descriptor: 'string',
};

export const payouts: ResourceModule = {
  name: 'payouts',
  objects: [PAYOUTS, EXTERNAL_ACCOUNTS],
  routes: [
    {
      method: 'POST',
      path: '/v1/payouts',
      params: PAYOUT_CREATE,
      handler: (core, { params, account }) =>
        createPayout(core, account, {
          amount: params.amount as number,
          currency: (params.currency as string).toLowerCase(),
          destination: str(params.destination),
          automatic: false,
          description: str(params.description),
          metadata: meta(params.metadata),
        }),
    },
    listRoute(PAYOUTS, '/v1/payouts', { status: 'string', destination: 'string' }),
    retrieveRoute(PAYOUTS, '/v1/payouts', 'payout', 'payout'),
    {
      method: 'POST',
      path: '/v1/accounts/:id/external_accounts',
      params: EXTERNAL_ACCOUNT_CREATE,
      handler: (core, { path, params, account }) => createExternalAccount(core, path.id as string, params, account),
    },
    {
      method: 'GET',
      path: '/v1/accounts/:id/external_accounts',
      params: null,
      handler: (core, { path }) => requireAccount(core, path.id as string).external_accounts,
    },
  ],
};
