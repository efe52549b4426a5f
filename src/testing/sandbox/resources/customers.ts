import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { mergeMetadata, meta, str } from '../core/util.js';
import { cardOutcome } from '../cards.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';

/** Customers (https://docs.stripe.com/api/customers). Payment methods are Stripe's test ids (`pm_card_visa`, ...). */
export const CUSTOMERS = defineStore<Stripe.Customer>('customers');

/** A test payment method id, or Stripe's "No such PaymentMethod" naming `param`. */
export function requireTestPaymentMethod(pm: string | null, param: string): string | null {
  if (pm !== null && !cardOutcome(pm))
    throw invalidRequest(`No such PaymentMethod: '${pm}'`, { param, code: 'resource_missing', status: 404 });
  return pm;
}

/** The customer `id` owned by `account`, or Stripe's "No such customer" naming `param`. */
export function requireCustomer(core: SandboxCore, id: string, account: string, param = 'customer'): Stripe.Customer {
  return core.state(CUSTOMERS).owned(id, account, 'customer', param).obj;
}

/** The payment method Billing charges for `customer`: `invoice_settings.default_payment_method`. */
export function defaultPaymentMethod(customer: Stripe.Customer): string | null {
  const pm = customer.invoice_settings?.default_payment_method;
  return typeof pm === 'string' ? pm : null;
}

export function createCustomer(core: SandboxCore, p: Params, account: string): Stripe.Customer {
  const settings = (p.invoice_settings as Params | undefined) ?? {};
  requireTestPaymentMethod(str(p.payment_method), 'payment_method');
  const pm = requireTestPaymentMethod(str(settings.default_payment_method), 'invoice_settings[default_payment_method]');
  const customer = {
    id: core.id('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: core.nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: str(p.description),
    email: str(p.email),
    invoice_prefix: null,
    invoice_settings: { custom_fields: null, default_payment_method: pm ?? null, footer: null, rendering_options: null },
    livemode: false,
    metadata: meta(p.metadata),
    name: str(p.name),
    phone: str(p.phone),
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  } as unknown as Stripe.Customer;
  core.state(CUSTOMERS).set(customer.id, account, customer);
  core.emit('customer.created', customer, account);
  return customer;
}

function updateCustomer(core: SandboxCore, id: string, p: Params, account: string): Stripe.Customer {
  const customer = requireCustomer(core, id, account, 'id');
  const previous: Record<string, unknown> = {};
  for (const key of ['email', 'name', 'description', 'phone'] as const) {
    if (p[key] === undefined) continue;
    previous[key] = customer[key];
    (customer as unknown as Record<string, unknown>)[key] = str(p[key]);
  }
  if (p.metadata !== undefined) {
    previous.metadata = customer.metadata;
    customer.metadata = mergeMetadata(customer.metadata, p.metadata);
  }
  const settings = p.invoice_settings as Params | undefined;
  if (settings?.default_payment_method !== undefined) {
    previous.invoice_settings = { ...customer.invoice_settings };
    const pm = requireTestPaymentMethod(str(settings.default_payment_method), 'invoice_settings[default_payment_method]');
    (customer.invoice_settings as { default_payment_method: string | null }).default_payment_method = pm;
  }
  core.emit('customer.updated', customer, account, previous);
  return customer;
}

const CUSTOMER_FIELDS: SpecObject = {
  ...EXPAND,
  email: 'string',
  name: 'string',
  description: 'string',
  phone: 'string',
  metadata: 'metadata',
  invoice_settings: { default_payment_method: 'string' },
};

export const customers: ResourceModule = {
  name: 'customers',
  objects: [CUSTOMERS],
  routes: [
    {
      method: 'POST',
      path: '/v1/customers',
      params: { ...CUSTOMER_FIELDS, payment_method: 'string' },
      handler: (core, { params, account }) => createCustomer(core, params, account),
    },
    listRoute(CUSTOMERS, '/v1/customers', { email: 'string' }),
    retrieveRoute(CUSTOMERS, '/v1/customers', 'customer', 'id'),
    {
      method: 'POST',
      path: '/v1/customers/:id',
      params: CUSTOMER_FIELDS,
      handler: (core, { path, params, account }) => updateCustomer(core, path.id as string, params, account),
    },
  ],
};
