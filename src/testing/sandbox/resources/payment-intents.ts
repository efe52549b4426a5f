import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { mergeMetadata, meta, num, str } from '../core/util.js';
import { cardOutcome } from '../cards.js';
import { invalidRequest, unexpectedState } from '../errors.js';
import type { FormObject } from '../form.js';
import { newPaymentIntent } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { requireTransferDestination } from './accounts.js';
import { confirm } from './payment-confirm.js';
import { currencyRules, displayAmount, MAX_CHARGE_AMOUNT, requirePositive } from '../rules/money.js';

/** From this API version on, `payment_method_types` is no longer writable. */
const PAYMENT_METHOD_TYPES_REMOVED = '2026-09-30';

export const INTENTS = defineStore<Stripe.PaymentIntent>('payment_intents');

/**
 * Refuses `payment_method_types` on API versions that removed it, before any other check (a route's `before`).
 * PaymentIntents answer `payment_method_types_no_longer_supported`
 * (https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents);
 * Checkout Sessions, whose parameter was removed outright
 * (https://docs.stripe.com/changelog/endive/2026-09-30/remove-payment-method-types-checkout-sessions), an unknown parameter.
 */
export function refusePaymentMethodTypes(core: SandboxCore, params: FormObject): void {
  const version = core.apiVersion().slice(0, 10);
  if (version < PAYMENT_METHOD_TYPES_REMOVED || !('payment_method_types' in params)) return;
  if (core.current?.path.startsWith('/v1/checkout/')) {
    throw invalidRequest(
      `Received unknown parameter: payment_method_types. Since API version ${PAYMENT_METHOD_TYPES_REMOVED}, payment method types are no longer writable: use automatic_payment_methods, excluded_payment_method_types or allowed_payment_method_types.`,
      { param: 'payment_method_types', code: 'parameter_unknown' },
    );
  }
  throw invalidRequest(
    `payment_method_types is no longer supported since API version ${PAYMENT_METHOD_TYPES_REMOVED}: use dynamic payment methods, excluded_payment_method_types or allowed_payment_method_types.`,
    { param: 'payment_method_types', code: 'payment_method_types_no_longer_supported' },
  );
}

/** Stripe's amount rules for a payment: a supported currency, at least its minimum, at most 99,999,999, its multiple. */
export function validateAmount(amount: number, currency: string, param = 'amount'): void {
  const info = currencyRules(currency);
  if (!info)
    throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, ...`, {
      param: 'currency',
    });
  requirePositive(amount, param);
  if (amount > MAX_CHARGE_AMOUNT)
    throw invalidRequest('Amount must be no more than 99,999,999', { param, code: 'amount_too_large' });
  if (info.minimum !== undefined && amount < info.minimum) {
    throw invalidRequest(`Amount must be at least ${displayAmount(info.minimum, currency)}`, {
      param,
      code: 'amount_too_small',
    });
  }
  if (amount % info.multipleOf !== 0) {
    throw invalidRequest(`Amounts in ${currency.toUpperCase()} must be a multiple of ${info.multipleOf}.`, {
      param,
      code: 'invalid_charge_amount',
    });
  }
}

/** Checks `application_fee_amount` and `transfer_data` as Stripe does when a payment is set up. */
export function validateSplit(
  core: SandboxCore,
  fee: number | null,
  amount: number,
  destination: string | null,
  requester: string,
  prefix = '',
): void {
  const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  if (destination !== null) {
    if (requester !== core.platformId) {
      throw invalidRequest('transfer_data[destination] cannot be used together with the Stripe-Account header.', {
        param: name('transfer_data[destination]'),
      });
    }
    requireTransferDestination(core, destination, name('transfer_data[destination]'));
  }
  if (fee !== null) {
    if (destination === null && requester === core.platformId) {
      throw invalidRequest(
        'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
        { param: name('application_fee_amount') },
      );
    }
    if (fee < 0)
      throw invalidRequest('This value must be greater than or equal to 0.', {
        param: name('application_fee_amount'),
        code: 'parameter_invalid_integer',
      });
    if (fee > amount) {
      throw invalidRequest(`The application fee amount (${fee}) cannot be greater than the amount of the payment (${amount}).`, {
        param: name('application_fee_amount'),
      });
    }
  }
}

function requirePaymentMethod(pm: string | null): void {
  if (pm && !cardOutcome(pm))
    throw invalidRequest(`No such PaymentMethod: '${pm}'`, { param: 'payment_method', code: 'resource_missing' });
}

export function createPaymentIntent(core: SandboxCore, p: Params, requester: string): Stripe.PaymentIntent {
  if (p.capture_method === 'manual') {
    throw invalidRequest('capture_method=manual is not simulated by the stripe-marketplace sandbox.', {
      param: 'capture_method',
    });
  }
  const amount = p.amount as number;
  const currency = (p.currency as string).toLowerCase();
  validateAmount(amount, currency);
  const transferData = p.transfer_data as Params | undefined;
  const destination = transferData ? (transferData.destination as string) : null;
  const fee = num(p.application_fee_amount);
  validateSplit(core, fee, amount, destination, requester);
  if (transferData?.amount !== undefined && transferData.amount !== null) {
    if (fee !== null)
      throw invalidRequest('You cannot pass both application_fee_amount and transfer_data[amount].', {
        param: 'transfer_data[amount]',
      });
    if ((transferData.amount as number) > amount)
      throw invalidRequest('transfer_data[amount] cannot be greater than amount.', { param: 'transfer_data[amount]' });
  }
  const apm = p.automatic_payment_methods as Params | undefined;
  const types = p.payment_method_types as string[] | undefined;
  if (p.off_session !== undefined && p.confirm !== true)
    throw invalidRequest('off_session can only be used with confirm=true.', { param: 'off_session' });
  const id = core.id('pi');
  const intent = newPaymentIntent({
    id,
    created: core.nowSeconds(),
    amount,
    currency,
    applicationFeeAmount: fee,
    transferData: destination
      ? ({
          destination,
          ...(transferData?.amount != null ? { amount: transferData.amount as number } : {}),
        } as Stripe.PaymentIntent.TransferData)
      : null,
    // Before 2026-09-30, listing payment_method_types turns automatic payment methods off
    // (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-payment_method_types).
    automaticPaymentMethods: types
      ? null
      : apm === undefined
        ? { allow_redirects: 'always', enabled: true }
        : { enabled: apm.enabled === true, allow_redirects: (str(apm.allow_redirects) ?? 'always') as 'always' },
    excludedPaymentMethodTypes: (p.excluded_payment_method_types as string[] | undefined) ?? null,
    metadata: meta(p.metadata),
    description: str(p.description),
    receiptEmail: str(p.receipt_email),
    onBehalfOf: str(p.on_behalf_of),
    paymentMethod: str(p.payment_method),
    transferGroup: str(p.transfer_group),
    statementDescriptor: str(p.statement_descriptor),
    statementDescriptorSuffix: str(p.statement_descriptor_suffix),
    clientSecret: `${id}_secret_${randomToken(18)}`,
  });
  requirePaymentMethod(str(p.payment_method));
  if (types) intent.payment_method_types = types;
  const stored = core.state(INTENTS).set(id, requester, intent);
  core.emit('payment_intent.created', intent, requester);
  if (p.confirm === true) return confirm(core, stored, p);
  return intent;
}

function updatePaymentIntent(core: SandboxCore, id: string, p: Params, requester: string): Stripe.PaymentIntent {
  const intent = core.state(INTENTS).owned(id, requester, 'payment_intent', 'intent').obj;
  // Metadata and the description stay writable in every status (https://docs.stripe.com/api/payment_intents/update).
  const onlyNotes = Object.keys(p).every((k) => k === 'metadata' || k === 'description' || k === 'expand');
  if (onlyNotes) {
    if (p.metadata !== undefined) intent.metadata = mergeMetadata(intent.metadata, p.metadata);
    if (p.description !== undefined) intent.description = str(p.description);
    return intent;
  }
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    throw unexpectedState(
      `This PaymentIntent's amount could not be updated because it has a status of ${intent.status}. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.`,
    );
  }
  if (p.transfer_data !== undefined && (p.transfer_data as Params | null)?.destination !== undefined) {
    throw invalidRequest('transfer_data[destination] cannot be changed once the PaymentIntent is created.', {
      param: 'transfer_data[destination]',
    });
  }
  const amount = num(p.amount) ?? intent.amount;
  const currency = (str(p.currency) ?? intent.currency).toLowerCase();
  validateAmount(amount, currency);
  const fee = p.application_fee_amount === undefined ? intent.application_fee_amount : num(p.application_fee_amount);
  validateSplit(core, fee, amount, (intent.transfer_data?.destination as string | null) ?? null, requester);
  intent.amount = amount;
  intent.currency = currency;
  intent.application_fee_amount = fee;
  if (p.metadata !== undefined) intent.metadata = mergeMetadata(intent.metadata, p.metadata);
  if (p.description !== undefined) intent.description = str(p.description);
  if (p.receipt_email !== undefined) intent.receipt_email = str(p.receipt_email);
  if (p.payment_method !== undefined) {
    const pm = str(p.payment_method);
    requirePaymentMethod(pm);
    intent.payment_method = pm;
    intent.status = pm ? 'requires_confirmation' : 'requires_payment_method';
  }
  return intent;
}

function cancelPaymentIntent(core: SandboxCore, id: string, p: Params, requester: string): Stripe.PaymentIntent {
  const stored = core.state(INTENTS).owned(id, requester, 'payment_intent', 'intent');
  const intent = stored.obj;
  if (intent.status === 'succeeded' || intent.status === 'canceled') {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
    );
  }
  intent.status = 'canceled';
  intent.canceled_at = core.nowSeconds();
  intent.cancellation_reason = (str(p.cancellation_reason) ?? null) as Stripe.PaymentIntent.CancellationReason | null;
  core.emit('payment_intent.canceled', intent, stored.owner);
  return intent;
}

export const TRANSFER_DATA: SpecObject = { destination: 'string!', amount: 'integer' };

const PI_COMMON: SpecObject = {
  ...EXPAND,
  metadata: 'metadata',
  description: 'string',
  receipt_email: 'string',
  payment_method: 'string',
  application_fee_amount: 'integer',
  statement_descriptor: 'string',
  statement_descriptor_suffix: 'string',
  transfer_group: 'string',
  setup_future_usage: 'enum:off_session|on_session',
  shipping: 'any',
  payment_method_options: 'any',
};

const PI_CREATE: SpecObject = {
  ...PI_COMMON,
  amount: 'integer!',
  currency: 'string!',
  transfer_data: TRANSFER_DATA,
  automatic_payment_methods: { enabled: 'boolean!', allow_redirects: 'enum:always|never' },
  excluded_payment_method_types: 'strings',
  on_behalf_of: 'string',
  capture_method: 'enum:automatic|automatic_async|manual',
  confirmation_method: 'enum:automatic|manual',
  confirm: 'boolean',
  return_url: 'string',
  customer: 'string',
  off_session: 'boolean',
  // Writable only on API versions before 2026-09-30 (checked before this spec applies).
  payment_method_types: 'strings',
};

const PI_UPDATE: SpecObject = {
  ...PI_COMMON,
  amount: 'integer',
  currency: 'string',
  transfer_data: { amount: 'integer', destination: 'string' },
};

const PI_CONFIRM: SpecObject = {
  ...EXPAND,
  payment_method: 'string',
  return_url: 'string',
  receipt_email: 'string',
  off_session: 'boolean',
  payment_method_options: 'any',
  setup_future_usage: 'enum:off_session|on_session',
  shipping: 'any',
  use_stripe_sdk: 'boolean',
};

const PI_CANCEL: SpecObject = { ...EXPAND, cancellation_reason: 'enum:abandoned|duplicate|fraudulent|requested_by_customer' };

export const paymentIntents: ResourceModule = {
  name: 'PaymentIntents',
  objects: [INTENTS],
  routes: [
    {
      method: 'POST',
      path: '/v1/payment_intents',
      params: PI_CREATE,
      before: refusePaymentMethodTypes,
      handler: (core, { params, account }) => createPaymentIntent(core, params, account),
    },
    listRoute(INTENTS, '/v1/payment_intents', { customer: 'string' }),
    retrieveRoute(INTENTS, '/v1/payment_intents', 'payment_intent', 'intent', { ...EXPAND, client_secret: 'string' }),
    {
      method: 'POST',
      path: '/v1/payment_intents/:id',
      params: PI_UPDATE,
      before: refusePaymentMethodTypes,
      handler: (core, { path, params, account }) => updatePaymentIntent(core, path.id as string, params, account),
    },
    {
      method: 'POST',
      path: '/v1/payment_intents/:id/confirm',
      params: PI_CONFIRM,
      before: refusePaymentMethodTypes,
      handler: (core, { path, params, account }) =>
        confirm(core, core.state(INTENTS).owned(path.id as string, account, 'payment_intent', 'intent'), params),
    },
    {
      method: 'POST',
      path: '/v1/payment_intents/:id/cancel',
      params: PI_CANCEL,
      handler: (core, { path, params, account }) => cancelPaymentIntent(core, path.id as string, params, account),
    },
  ],
};
