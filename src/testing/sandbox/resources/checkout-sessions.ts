import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineState, defineStore, type Stored } from '../core/store.js';
import { meta, num, str } from '../core/util.js';
import { invalidRequest, missingParam } from '../errors.js';
import { newCheckoutSession } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { confirm } from './payment-confirm.js';
import {
  createPaymentIntent,
  INTENTS,
  refusePaymentMethodTypes,
  TRANSFER_DATA,
  validateAmount,
  validateSplit,
} from './payment-intents.js';

const CHECKOUT_TTL_SECONDS = 24 * 3600;

export const SESSIONS = defineStore<Stripe.Checkout.Session>('checkout_sessions');

/** What a session keeps besides its Stripe object: the line items (for the hosted page) and the PaymentIntent's data. */
export interface SessionExtra {
  lineItems: { name: string; quantity: number; unitAmount: number }[];
  intentData: Params;
}

export const SESSION_EXTRA = defineState('checkout_session_extra', () => new Map<string, SessionExtra>());

/** `mode=subscription`, served by the billing modules (`checkout-subscriptions.ts` fills these in). */
export const SUBSCRIPTION_MODE: {
  create?: (core: SandboxCore, p: Params, requester: string) => Stripe.Checkout.Session;
  pay?: (core: SandboxCore, stored: Stored<Stripe.Checkout.Session>, paymentMethod: string) => void;
} = {};

function lineItemsOf(p: Params): { lineItems: SessionExtra['lineItems']; currency: string } {
  const items = (p.line_items as Params[] | undefined) ?? [];
  if (items.length === 0) throw missingParam('line_items');
  const lineItems: SessionExtra['lineItems'] = [];
  let currency: string | null = null;
  items.forEach((item, i) => {
    if (item.price)
      throw invalidRequest(`No such price: '${String(item.price)}' (the sandbox accepts price_data only)`, {
        param: `line_items[${i}][price]`,
        code: 'resource_missing',
      });
    const data = item.price_data as Params | undefined;
    if (!data)
      throw invalidRequest(`You must specify either \`price\` or \`price_data\` in line_items[${i}].`, {
        param: `line_items[${i}]`,
        code: 'parameter_missing',
      });
    const quantity = num(item.quantity);
    if (quantity === null) throw missingParam(`line_items[${i}][quantity]`);
    if (quantity < 1) throw invalidRequest('Quantity must be greater than 0.', { param: `line_items[${i}][quantity]` });
    const unitAmount = num(data.unit_amount);
    if (unitAmount === null) throw missingParam(`line_items[${i}][price_data][unit_amount]`);
    const itemCurrency = (data.currency as string).toLowerCase();
    if (currency && currency !== itemCurrency)
      throw invalidRequest('All line items must use the same currency.', { param: `line_items[${i}][price_data][currency]` });
    currency = itemCurrency;
    const product = data.product_data as Params | undefined;
    if (!product) throw missingParam(`line_items[${i}][price_data][product_data]`);
    lineItems.push({ name: product.name as string, quantity, unitAmount });
  });
  return { lineItems, currency: currency as unknown as string };
}

function createSession(core: SandboxCore, p: Params, requester: string): Stripe.Checkout.Session {
  if (p.mode === 'subscription' && SUBSCRIPTION_MODE.create) return SUBSCRIPTION_MODE.create(core, p, requester);
  if (p.mode !== 'payment') {
    throw invalidRequest(`mode=${String(p.mode)} is not simulated by the stripe-marketplace sandbox; use mode=payment.`, {
      param: 'mode',
    });
  }
  const { lineItems, currency } = lineItemsOf(p);
  const total = lineItems.reduce((s, i) => s + i.unitAmount * i.quantity, 0);
  validateAmount(total, currency, 'line_items');
  const intentData = (p.payment_intent_data as Params | undefined) ?? {};
  const transferData = intentData.transfer_data as Params | undefined;
  validateSplit(
    core,
    num(intentData.application_fee_amount),
    total,
    transferData ? (transferData.destination as string) : null,
    requester,
    'payment_intent_data',
  );
  const id = core.id('cs_test');
  const created = core.nowSeconds();
  const session = newCheckoutSession({
    id,
    created,
    expiresAt: num(p.expires_at) ?? created + CHECKOUT_TTL_SECONDS,
    currency,
    amountTotal: total,
    successUrl: str(p.success_url),
    cancelUrl: str(p.cancel_url),
    clientReferenceId: str(p.client_reference_id),
    customerEmail: str(p.customer_email),
    metadata: meta(p.metadata),
    url: `${core.origin}/checkout/${id}`,
  });
  core.state(SESSIONS).set(id, requester, session);
  core.state(SESSION_EXTRA).set(id, { lineItems, intentData });
  return session;
}

/** Pays an open session as its hosted page does: creates its PaymentIntent once, confirms it, completes the session. */
export function paySession(
  core: SandboxCore,
  stored: Stored<Stripe.Checkout.Session>,
  paymentMethod: string,
): Stripe.Checkout.Session {
  const session = stored.obj;
  if (session.status === 'open' && core.nowSeconds() >= session.expires_at) expire(core, stored);
  if (session.status !== 'open')
    throw invalidRequest(`This Checkout Session is ${session.status} and can no longer be paid.`, {
      code: 'checkout_session_unexpected_state',
    });
  if (session.mode === 'subscription' && SUBSCRIPTION_MODE.pay) {
    SUBSCRIPTION_MODE.pay(core, stored, paymentMethod);
    return completeSession(core, stored);
  }
  const data = (core.state(SESSION_EXTRA).get(session.id) as SessionExtra).intentData;
  const intents = core.state(INTENTS);
  let intent = typeof session.payment_intent === 'string' ? intents.get(session.payment_intent) : undefined;
  if (!intent) {
    const created = createPaymentIntent(
      core,
      {
        amount: session.amount_total,
        currency: session.currency,
        ...(data.application_fee_amount != null ? { application_fee_amount: data.application_fee_amount } : {}),
        ...(data.transfer_data ? { transfer_data: data.transfer_data } : {}),
        metadata: data.metadata ?? {},
        description: data.description ?? null,
        on_behalf_of: data.on_behalf_of ?? null,
        transfer_group: data.transfer_group ?? null,
        receipt_email: data.receipt_email ?? session.customer_email,
        automatic_payment_methods: { enabled: true, allow_redirects: 'always' },
      },
      stored.owner,
    );
    intent = intents.get(created.id) as Stored<Stripe.PaymentIntent>;
    session.payment_intent = created.id;
  }
  confirm(core, intent, { payment_method: paymentMethod, __hosted: true });
  return completeSession(core, stored);
}

/** Marks a paid session complete and emits `checkout.session.completed`. */
function completeSession(core: SandboxCore, stored: Stored<Stripe.Checkout.Session>): Stripe.Checkout.Session {
  const session = stored.obj;
  session.status = 'complete';
  session.payment_status = 'paid';
  session.url = null;
  session.customer_details = {
    address: null,
    business_name: null,
    email: session.customer_email,
    individual_name: null,
    name: null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  core.emit('checkout.session.completed', session, stored.owner);
  return session;
}

function expire(core: SandboxCore, stored: Stored<Stripe.Checkout.Session>): void {
  stored.obj.status = 'expired';
  stored.obj.url = null;
  core.emit('checkout.session.expired', stored.obj, stored.owner);
}

function expireSession(core: SandboxCore, id: string, requester: string): Stripe.Checkout.Session {
  const stored = core.state(SESSIONS).owned(id, requester, 'checkout.session', 'session');
  if (stored.obj.status !== 'open') {
    throw invalidRequest(
      `Only Checkout Sessions with a status of \`open\` can be expired. This session has a status of \`${stored.obj.status}\`.`,
      { code: 'checkout_session_unexpected_state' },
    );
  }
  expire(core, stored);
  return stored.obj;
}

const SESSION_CREATE: SpecObject = {
  ...EXPAND,
  mode: 'enum:payment|setup|subscription!',
  line_items: [
    {
      price: 'string',
      quantity: 'integer',
      price_data: {
        currency: 'string!',
        unit_amount: 'integer',
        product: 'string',
        product_data: { name: 'string!', description: 'string', images: 'strings', metadata: 'metadata' },
        tax_behavior: 'enum:exclusive|inclusive|unspecified',
        recurring: { interval: 'enum:day|week|month|year!', interval_count: 'integer' },
      },
    },
  ],
  success_url: 'string',
  cancel_url: 'string',
  client_reference_id: 'string',
  customer_email: 'string',
  metadata: 'metadata',
  expires_at: 'integer',
  locale: 'string',
  ui_mode: 'enum:hosted',
  payment_intent_data: {
    application_fee_amount: 'integer',
    transfer_data: TRANSFER_DATA,
    metadata: 'metadata',
    on_behalf_of: 'string',
    description: 'string',
    transfer_group: 'string',
    receipt_email: 'string',
    statement_descriptor: 'string',
    statement_descriptor_suffix: 'string',
    capture_method: 'enum:automatic|automatic_async',
  },
  excluded_payment_method_types: 'strings',
  payment_method_types: 'strings',
  customer: 'string',
  subscription_data: {
    application_fee_percent: 'any',
    transfer_data: { destination: 'string!', amount_percent: 'any' },
    trial_period_days: 'integer',
    metadata: 'metadata',
    description: 'string',
  },
};

export const checkoutSessions: ResourceModule = {
  name: 'Checkout Sessions',
  objects: [SESSIONS],
  routes: [
    {
      method: 'POST',
      path: '/v1/checkout/sessions',
      params: SESSION_CREATE,
      before: refusePaymentMethodTypes,
      handler: (core, { params, account }) => createSession(core, params, account),
    },
    listRoute(SESSIONS, '/v1/checkout/sessions', { payment_intent: 'string', status: 'string' }),
    retrieveRoute(SESSIONS, '/v1/checkout/sessions', 'checkout.session', 'session'),
    {
      method: 'POST',
      path: '/v1/checkout/sessions/:id/expire',
      params: EXPAND,
      handler: (core, { path, account }) => expireSession(core, path.id as string, account),
    },
  ],
};
