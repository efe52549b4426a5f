import type Stripe from 'stripe';
import { list } from '../core/list.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, LIST, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineState, defineStore, type Stored } from '../core/store.js';
import { clone, mergeMetadata, meta, num, str } from '../core/util.js';
import { invalidRequest, missingParam } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { defaultPaymentMethod, requireCustomer, requireTestPaymentMethod } from './customers.js';
import { attemptPayment, createInvoice, finalizeInvoice, INVOICE_EXTRA, INVOICE_HOOKS, type InvoiceSplit } from './invoices.js';
import { INTENTS, validateSplit } from './payment-intents.js';
import { createPrice, PRICE_DATA, PRICES } from './prices.js';

/** Subscriptions (https://docs.stripe.com/api/subscriptions) with Connect's fee and transfer (https://docs.stripe.com/connect/subscriptions). */
export const SUBSCRIPTIONS = defineStore<Stripe.Subscription>('subscriptions');

interface SubscriptionExtra {
  /** `customer.subscription.created` was emitted: later changes emit `customer.subscription.updated`. */
  announced: boolean;
  /** Periods started since the billing cycle anchor. */
  cycles: number;
}

export const SUBSCRIPTION_EXTRA = defineState('subscription_extra', () => new Map<string, SubscriptionExtra>());

/** An `incomplete` subscription whose first invoice is not paid within 23 hours becomes `incomplete_expired`. */
export const INCOMPLETE_SECONDS = 23 * 3600;

const DAY = 86400;

/**
 * The end of period `cycles` after `anchor`: days and weeks are fixed lengths; months and years keep the anchor's day
 * of the month, or the month's last day when it is shorter (https://docs.stripe.com/billing/subscriptions/billing-cycle).
 */
export function periodEnd(anchor: number, recurring: Stripe.Price.Recurring, cycles: number): number {
  const count = recurring.interval_count * cycles;
  if (recurring.interval === 'day') return anchor + count * DAY;
  if (recurring.interval === 'week') return anchor + count * 7 * DAY;
  const months = recurring.interval === 'year' ? count * 12 : count;
  const date = new Date(anchor * 1000);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(date.getUTCDate(), lastDay));
  target.setUTCHours(date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds());
  return Math.floor(target.getTime() / 1000);
}

/** A percentage with at most two decimals between 0 and 100, as `application_fee_percent` takes it. */
function percent(value: unknown, param: string): number | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  const parsed = Number(text);
  if (!/^\d+(\.\d{1,2})?$/.test(text) || parsed > 100)
    throw invalidRequest(
      `Invalid decimal: ${text}. ${param} must be a number between 0 and 100 with at most two decimal places.`,
      {
        param,
      },
    );
  return parsed;
}

/** The recurring price an item names (`price`) or creates (`price_data`); `param` names the item in errors. */
export function priceOfItem(core: SandboxCore, item: Params, param: string, account: string): Stripe.Price {
  const data = item.price_data as Params | undefined;
  let price: Stripe.Price;
  if (str(item.price)) price = core.state(PRICES).owned(item.price as string, account, 'price', `${param}[price]`).obj;
  else if (data) {
    if (!data.recurring) throw missingParam(`${param}[price_data][recurring]`);
    price = createPrice(core, data, account, `${param}[price_data]`);
  } else
    throw invalidRequest(`You must specify either \`price\` or \`price_data\` in ${param}.`, {
      param,
      code: 'parameter_missing',
    });
  if (!price.recurring)
    throw invalidRequest(
      'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
      { param: `${param}[price]` },
    );
  return price;
}

export function subscriptionOf(core: SandboxCore, id: string): Stored<Stripe.Subscription> {
  return core.state(SUBSCRIPTIONS).get(id) as Stored<Stripe.Subscription>;
}

function extraOf(core: SandboxCore, id: string): SubscriptionExtra {
  return core.state(SUBSCRIPTION_EXTRA).get(id) as SubscriptionExtra;
}

/** Emits `customer.subscription.updated` once the subscription was announced. */
export function announceUpdate(core: SandboxCore, stored: Stored<Stripe.Subscription>, previous: Record<string, unknown>): void {
  if (extraOf(core, stored.obj.id).announced) core.emit('customer.subscription.updated', stored.obj, stored.owner, previous);
}

/** The invoice split a subscription gives each of its invoices. */
export function splitOf(sub: Stripe.Subscription): InvoiceSplit {
  return {
    feePercent: sub.application_fee_percent,
    feeAmount: null,
    destination: (sub.transfer_data?.destination as string | undefined) ?? null,
    transferAmount: null,
    amountPercent: sub.transfer_data?.amount_percent ?? null,
  };
}

/** The payment method Billing charges: the subscription's default, else the customer's. */
export function paymentMethodOf(core: SandboxCore, stored: Stored<Stripe.Subscription>): string | null {
  const own = stored.obj.default_payment_method;
  if (typeof own === 'string') return own;
  return defaultPaymentMethod(requireCustomer(core, stored.obj.customer as string, stored.owner));
}

/** Starts a new period: its invoice, as a draft for a renewal. */
export function openPeriod(
  core: SandboxCore,
  stored: Stored<Stripe.Subscription>,
  start: number,
  reason: 'subscription_create' | 'subscription_cycle',
): Stored<Stripe.Invoice> {
  const sub = stored.obj;
  const extra = extraOf(core, sub.id);
  extra.cycles += 1;
  const trial = sub.trial_end !== null && start < sub.trial_end;
  const items = sub.items.data;
  const end = trial
    ? (sub.trial_end as number)
    : periodEnd(
        sub.billing_cycle_anchor,
        items[0]?.price.recurring as Stripe.Price.Recurring,
        extra.cycles - (sub.trial_end !== null ? 1 : 0),
      );
  for (const item of items) [item.current_period_start, item.current_period_end] = [start, end];
  const invoice = createInvoice(core, stored.owner, {
    customer: sub.customer as string,
    subscription: sub.id,
    currency: sub.currency,
    billingReason: reason,
    lines: items.map((i) => ({ price: i.price, quantity: i.quantity ?? 1, start, end })),
    created: start,
    split: splitOf(sub),
    defaultPaymentMethod: typeof sub.default_payment_method === 'string' ? sub.default_payment_method : null,
    metadata: { ...sub.metadata },
    free: trial,
  });
  sub.latest_invoice = invoice.obj.id;
  return invoice;
}

export function createSubscription(core: SandboxCore, p: Params, account: string): Stripe.Subscription {
  const customer = requireCustomer(core, p.customer as string, account);
  const behavior = str(p.payment_behavior) ?? 'allow_incomplete';
  if (behavior === 'error_if_incomplete' || behavior === 'pending_if_incomplete')
    throw invalidRequest(`payment_behavior=${behavior} is not simulated by the stripe-marketplace sandbox.`, {
      param: 'payment_behavior',
    });
  const itemParams = (p.items as Params[] | undefined) ?? [];
  if (itemParams.length === 0) throw missingParam('items');
  if (itemParams.length > 20) throw invalidRequest('A subscription can have at most 20 items.', { param: 'items' });
  const prices = itemParams.map((item, i) => priceOfItem(core, item, `items[${i}]`, account));
  const first = prices[0] as Stripe.Price;
  for (const price of prices) {
    const r = price.recurring as Stripe.Price.Recurring;
    const r0 = first.recurring as Stripe.Price.Recurring;
    if (price.currency !== first.currency || r.interval !== r0.interval || r.interval_count !== r0.interval_count)
      throw invalidRequest('Currency and interval fields must match across all plans on this subscription.', { param: 'items' });
  }
  const feePercent = percent(p.application_fee_percent, 'application_fee_percent');
  const transferData = p.transfer_data as Params | undefined;
  const destination = transferData ? (transferData.destination as string) : null;
  const amountPercent = percent(transferData?.amount_percent, 'transfer_data[amount_percent]');
  validateSplit(core, null, 0, destination, account);
  if (feePercent !== null && amountPercent !== null)
    throw invalidRequest(
      'application_fee_percent together with transfer_data[amount_percent] is not simulated by the stripe-marketplace sandbox.',
      { param: 'transfer_data[amount_percent]' },
    );
  if (feePercent !== null && destination === null && account === core.platformId)
    throw invalidRequest(
      'The request must be made by a platform account on a connected account (with the Stripe-Account header) or with transfer_data[destination] in order to set an application fee percentage.',
      { param: 'application_fee_percent' },
    );
  const ownPm = requireTestPaymentMethod(str(p.default_payment_method), 'default_payment_method');
  const trialDays = num(p.trial_period_days);
  if (trialDays !== null && (trialDays < 1 || trialDays > 730))
    throw invalidRequest('trial_period_days must be between 1 and 730.', { param: 'trial_period_days' });
  const pm = ownPm ?? defaultPaymentMethod(customer);
  const total = itemParams.reduce((s, item, i) => s + (prices[i]?.unit_amount ?? 0) * (num(item.quantity) ?? 1), 0);
  if (behavior === 'allow_incomplete' && !pm && trialDays === null && total > 0)
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      { code: 'resource_missing' },
    );
  const saveDefault = str((p.payment_settings as Params | undefined)?.save_default_payment_method) ?? 'off';
  if (saveDefault !== 'off' && saveDefault !== 'on_subscription')
    throw invalidRequest(`Invalid payment_settings[save_default_payment_method]: must be one of off or on_subscription`, {
      param: 'payment_settings[save_default_payment_method]',
    });
  const now = core.nowSeconds();
  const id = core.id('sub');
  const trialEnd = trialDays !== null ? now + trialDays * DAY : null;
  const sub = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: feePercent,
    billing_cycle_anchor: trialEnd ?? now,
    cancel_at: null,
    cancel_at_period_end: p.cancel_at_period_end === true,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: 'charge_automatically',
    created: now,
    currency: first.currency,
    customer: customer.id,
    default_payment_method: ownPm,
    description: str(p.description),
    ended_at: null,
    items: {
      object: 'list',
      data: prices.map((price, i) => ({
        id: core.id('si'),
        object: 'subscription_item',
        created: now,
        current_period_end: now,
        current_period_start: now,
        metadata: {},
        price,
        quantity: num(itemParams[i]?.quantity) ?? 1,
        subscription: id,
      })),
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: meta(p.metadata),
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: saveDefault,
    },
    start_date: now,
    status: 'incomplete',
    transfer_data: destination ? { destination, amount_percent: amountPercent } : null,
    trial_end: trialEnd,
    trial_start: trialEnd !== null ? now : null,
  } as unknown as Stripe.Subscription;
  const stored = core.state(SUBSCRIPTIONS).set(id, account, sub);
  core.state(SUBSCRIPTION_EXTRA).set(id, { announced: false, cycles: 0 });
  const invoice = openPeriod(core, stored, now, 'subscription_create');
  finalizeInvoice(core, invoice);
  if (invoice.obj.status === 'open' && behavior === 'allow_incomplete') attemptPayment(core, invoice, pm, false);
  extraOf(core, id).announced = true;
  core.emit('customer.subscription.created', sub, account);
  return sub;
}

// A paid invoice makes its subscription active (or trialing); a failed renewal makes it past_due.
INVOICE_HOOKS.paid.push((core, invoice, id) => {
  const stored = subscriptionOf(core, id);
  const sub = stored.obj;
  if (sub.status === 'incomplete_expired' || sub.status === 'canceled') return;
  const previous: Record<string, unknown> = {};
  // `payment_settings.save_default_payment_method=on_subscription`: the payment method that paid becomes the
  // subscription's default (https://docs.stripe.com/api/subscriptions/create#create_subscription-payment_settings).
  const paidWith = paymentMethodOfInvoice(core, invoice.obj.id);
  if (sub.payment_settings?.save_default_payment_method === 'on_subscription' && paidWith && !sub.default_payment_method) {
    previous.default_payment_method = sub.default_payment_method;
    sub.default_payment_method = paidWith;
  }
  const next = sub.trial_end !== null && core.nowSeconds() < sub.trial_end ? 'trialing' : 'active';
  if (sub.status !== next) {
    previous.status = sub.status;
    sub.status = next;
  }
  if (Object.keys(previous).length > 0) announceUpdate(core, stored, previous);
});
INVOICE_HOOKS.failed.push((core, invoice, id) => {
  const stored = subscriptionOf(core, id);
  if (invoice.obj.billing_reason !== 'subscription_cycle' || stored.obj.status !== 'active') return;
  const previous = { status: stored.obj.status };
  stored.obj.status = 'past_due';
  announceUpdate(core, stored, previous);
});

/** The payment method of the PaymentIntent that paid an invoice, if any. */
function paymentMethodOfInvoice(core: SandboxCore, invoiceId: string): string | null {
  const intentId = core.state(INVOICE_EXTRA).get(invoiceId)?.intent;
  const intent = intentId ? core.state(INTENTS).get(intentId)?.obj : undefined;
  return typeof intent?.payment_method === 'string' ? intent.payment_method : null;
}

/** Cancels at once: `customer.subscription.deleted`. */
export function cancelNow(core: SandboxCore, stored: Stored<Stripe.Subscription>, reason: string): Stripe.Subscription {
  const sub = stored.obj;
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
    throw invalidRequest(`No such subscription: '${sub.id}'. It has been canceled.`, { code: 'resource_missing', status: 404 });
  const now = core.nowSeconds();
  sub.status = 'canceled';
  sub.canceled_at = now;
  sub.ended_at = now;
  sub.cancellation_details = { comment: null, feedback: null, reason } as Stripe.Subscription.CancellationDetails;
  core.emit('customer.subscription.deleted', sub, stored.owner);
  return sub;
}

function updateSubscription(core: SandboxCore, id: string, p: Params, account: string): Stripe.Subscription {
  const stored = core.state(SUBSCRIPTIONS).owned(id, account, 'subscription', 'id');
  const sub = stored.obj;
  if (sub.status === 'canceled' || sub.status === 'incomplete_expired')
    throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.', {
      code: 'resource_missing',
    });
  const previous: Record<string, unknown> = {};
  if (typeof p.cancel_at_period_end === 'boolean') {
    previous.cancel_at_period_end = sub.cancel_at_period_end;
    sub.cancel_at_period_end = p.cancel_at_period_end;
    previous.cancel_at = sub.cancel_at;
    sub.cancel_at = p.cancel_at_period_end ? (sub.items.data[0]?.current_period_end ?? null) : null;
  }
  if (p.pause_collection !== undefined) {
    previous.pause_collection = clone(sub.pause_collection);
    const pause = p.pause_collection as Params | null;
    sub.pause_collection = pause
      ? ({ behavior: pause.behavior, resumes_at: num(pause.resumes_at) } as Stripe.Subscription.PauseCollection)
      : null;
  }
  if (p.default_payment_method !== undefined) {
    previous.default_payment_method = sub.default_payment_method;
    sub.default_payment_method = requireTestPaymentMethod(str(p.default_payment_method), 'default_payment_method');
  }
  if (p.application_fee_percent !== undefined) {
    previous.application_fee_percent = sub.application_fee_percent;
    sub.application_fee_percent = percent(p.application_fee_percent, 'application_fee_percent');
  }
  if (p.metadata !== undefined) [previous.metadata, sub.metadata] = [sub.metadata, mergeMetadata(sub.metadata, p.metadata)];
  announceUpdate(core, stored, previous);
  return sub;
}

/** `subscriptions.list`: canceled ones only when `status` asks for them (https://docs.stripe.com/api/subscriptions/list). */
function listSubscriptions(core: SandboxCore, p: Params, account: string): Stripe.ApiList<Stripe.Subscription> {
  const status = str(p.status);
  const items = [...core.state(SUBSCRIPTIONS).values()]
    .filter((s) => s.owner === account)
    .map((s) => s.obj)
    .filter(
      (s) =>
        (p.customer == null || s.customer === p.customer) &&
        (p.price == null || s.items.data.some((i) => i.price.id === p.price)),
    )
    .filter((s) =>
      status === null ? s.status !== 'canceled' && s.status !== 'incomplete_expired' : status === 'all' || s.status === status,
    );
  return list(items, p, '/v1/subscriptions');
}

const ITEM: SpecObject = {
  price: 'string',
  price_data: { ...PRICE_DATA, product: 'string!', recurring: { ...(PRICE_DATA.recurring as SpecObject), '!': true } },
  quantity: 'integer',
  metadata: 'metadata',
};

const PAUSE: SpecObject = { behavior: 'enum:keep_as_draft|mark_uncollectible|void!', resumes_at: 'integer' };

export const subscriptions: ResourceModule = {
  name: 'subscriptions',
  objects: [SUBSCRIPTIONS],
  routes: [
    {
      method: 'POST',
      path: '/v1/subscriptions',
      params: {
        ...EXPAND,
        customer: 'string!',
        items: [ITEM],
        application_fee_percent: 'any',
        transfer_data: { destination: 'string!', amount_percent: 'any' },
        trial_period_days: 'integer',
        payment_behavior: 'enum:allow_incomplete|default_incomplete|error_if_incomplete|pending_if_incomplete',
        default_payment_method: 'string',
        cancel_at_period_end: 'boolean',
        collection_method: 'enum:charge_automatically',
        description: 'string',
        metadata: 'metadata',
        off_session: 'boolean',
        payment_settings: 'any',
      },
      handler: (core, { params, account }) => createSubscription(core, params, account),
    },
    {
      method: 'GET',
      path: '/v1/subscriptions',
      params: { ...LIST, customer: 'string', price: 'string', status: 'string' },
      handler: (core, { params, account }) => listSubscriptions(core, params, account),
    },
    retrieveRoute(SUBSCRIPTIONS, '/v1/subscriptions', 'subscription', 'id'),
    {
      method: 'POST',
      path: '/v1/subscriptions/:id',
      params: {
        ...EXPAND,
        cancel_at_period_end: 'boolean',
        pause_collection: PAUSE,
        default_payment_method: 'string',
        application_fee_percent: 'any',
        metadata: 'metadata',
        proration_behavior: 'enum:always_invoice|create_prorations|none',
      },
      handler: (core, { path, params, account }) => updateSubscription(core, path.id as string, params, account),
    },
    {
      method: 'DELETE',
      path: '/v1/subscriptions/:id',
      params: { ...EXPAND, invoice_now: 'boolean', prorate: 'boolean', cancellation_details: 'any' },
      handler: (core, { path, account }) =>
        cancelNow(
          core,
          core.state(SUBSCRIPTIONS).owned(path.id as string, account, 'subscription', 'id'),
          'cancellation_requested',
        ),
    },
  ],
};
