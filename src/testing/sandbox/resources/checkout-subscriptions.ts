import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import type { Stored } from '../core/store.js';
import { meta, num, str } from '../core/util.js';
import { cardOutcome } from '../cards.js';
import { cardError, invalidRequest, missingParam } from '../errors.js';
import { newCheckoutSession } from '../objects.js';
import type { Params } from '../params.js';
import { SESSION_EXTRA, SESSIONS, SUBSCRIPTION_MODE } from './checkout-sessions.js';
import { createCustomer, requireCustomer } from './customers.js';
import { PRODUCTS } from './products.js';
import { createSubscription, priceOfItem } from './subscriptions.js';

/**
 * Checkout in `mode=subscription` (https://docs.stripe.com/payments/checkout/build-subscriptions): line items are
 * recurring prices, `subscription_data` carries the Connect fee and transfer
 * (https://docs.stripe.com/connect/subscriptions); paying the session creates the customer (when the session has
 * none) and the subscription, charged with the card given on the hosted page.
 */
const CHECKOUT_TTL_SECONDS = 24 * 3600;

interface SubscriptionSessionData {
  items: { price: string; quantity: number }[];
  subscriptionData: Params;
}

const DATA = new WeakMap<Stripe.Checkout.Session, SubscriptionSessionData>();

function createSubscriptionSession(core: SandboxCore, p: Params, requester: string): Stripe.Checkout.Session {
  const lines = (p.line_items as Params[] | undefined) ?? [];
  if (lines.length === 0) throw missingParam('line_items');
  const customer = str(p.customer);
  if (customer) requireCustomer(core, customer, requester);
  const items = lines.map((line, i) => {
    const price = priceOfItem(core, line, `line_items[${i}]`, requester);
    const quantity = num(line.quantity) ?? 1;
    if (quantity < 1) throw invalidRequest('Quantity must be greater than 0.', { param: `line_items[${i}][quantity]` });
    return { price, quantity };
  });
  const currency = (items[0] as { price: Stripe.Price }).price.currency;
  const id = core.id('cs_test');
  const created = core.nowSeconds();
  const session = newCheckoutSession({
    id,
    created,
    expiresAt: num(p.expires_at) ?? created + CHECKOUT_TTL_SECONDS,
    currency,
    amountTotal: items.reduce((s, i) => s + (i.price.unit_amount ?? 0) * i.quantity, 0),
    successUrl: str(p.success_url),
    cancelUrl: str(p.cancel_url),
    clientReferenceId: str(p.client_reference_id),
    customerEmail: str(p.customer_email),
    metadata: meta(p.metadata),
    url: `${core.origin}/checkout/${id}`,
  });
  session.mode = 'subscription';
  session.customer = customer;
  session.subscription = null;
  core.state(SESSIONS).set(id, requester, session);
  core.state(SESSION_EXTRA).set(id, {
    lineItems: items.map((i) => ({
      name: core.state(PRODUCTS).get(i.price.product as string)?.obj.name ?? 'Subscription',
      quantity: i.quantity,
      unitAmount: i.price.unit_amount ?? 0,
    })),
    intentData: {},
  });
  DATA.set(session, {
    items: items.map((i) => ({ price: i.price.id, quantity: i.quantity })),
    subscriptionData: (p.subscription_data as Params | undefined) ?? {},
  });
  return session;
}

function paySubscriptionSession(core: SandboxCore, stored: Stored<Stripe.Checkout.Session>, paymentMethod: string): void {
  const session = stored.obj;
  const outcome = cardOutcome(paymentMethod);
  if (!outcome)
    throw invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, { param: 'payment_method', code: 'resource_missing' });
  if (outcome.decline) throw cardError(outcome.decline.code, outcome.decline.declineCode, outcome.decline.message, {});
  const data = DATA.get(session) as SubscriptionSessionData;
  let customer = session.customer as string | null;
  if (!customer) customer = createCustomer(core, { email: session.customer_email }, stored.owner).id;
  const sd = data.subscriptionData;
  const sub = createSubscription(
    core,
    {
      customer,
      items: data.items,
      default_payment_method: paymentMethod,
      metadata: sd.metadata ?? {},
      ...(sd.application_fee_percent != null ? { application_fee_percent: sd.application_fee_percent } : {}),
      ...(sd.transfer_data ? { transfer_data: sd.transfer_data } : {}),
      ...(sd.trial_period_days != null ? { trial_period_days: sd.trial_period_days } : {}),
      ...(sd.description != null ? { description: sd.description } : {}),
    },
    stored.owner,
  );
  session.customer = customer;
  session.subscription = sub.id;
  session.invoice = sub.latest_invoice as string;
}

SUBSCRIPTION_MODE.create = createSubscriptionSession;
SUBSCRIPTION_MODE.pay = paySubscriptionSession;
