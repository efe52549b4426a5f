import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { invalidRequest } from '../errors.js';
import type { Params } from '../params.js';

/**
 * Payment method domains (https://docs.stripe.com/api/payment_method_domains), the registration Apple Pay, Google Pay
 * and Link need before Elements show them on a domain (https://docs.stripe.com/payments/payment-methods/pmd-registration),
 * on the platform or, with `Stripe-Account`, on a connected account. In test mode no domain association file is
 * checked, so each wallet is `active` at once; `validate` answers the domain as it is.
 */
export const PAYMENT_METHOD_DOMAINS = defineStore<Stripe.PaymentMethodDomain>('payment_method_domains');

/** A host name: labels of letters, digits and hyphens, at least one dot, no scheme, port or path. */
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function createDomain(core: SandboxCore, p: Params, account: string): Stripe.PaymentMethodDomain {
  const name = p.domain_name as string;
  if (!HOST.test(name))
    throw invalidRequest(`Invalid domain_name: '${name}' is not a valid domain name (no scheme, port or path).`, {
      param: 'domain_name',
    });
  const active = { status: 'active' };
  const domain = {
    id: core.id('pmd'),
    object: 'payment_method_domain',
    amazon_pay: active,
    apple_pay: active,
    created: core.nowSeconds(),
    domain_name: name.toLowerCase(),
    enabled: p.enabled !== false,
    google_pay: active,
    klarna: active,
    link: active,
    livemode: false,
    paypal: active,
  } as unknown as Stripe.PaymentMethodDomain;
  core.state(PAYMENT_METHOD_DOMAINS).set(domain.id, account, domain);
  return domain;
}

function owned(core: SandboxCore, id: string, account: string): Stripe.PaymentMethodDomain {
  return core.state(PAYMENT_METHOD_DOMAINS).owned(id, account, 'payment_method_domain', 'payment_method_domain').obj;
}

export const paymentMethodDomains: ResourceModule = {
  name: 'payment method domains',
  objects: [PAYMENT_METHOD_DOMAINS],
  routes: [
    {
      method: 'POST',
      path: '/v1/payment_method_domains',
      params: { ...EXPAND, domain_name: 'string!', enabled: 'boolean' },
      handler: (core, { params, account }) => createDomain(core, params, account),
    },
    listRoute(PAYMENT_METHOD_DOMAINS, '/v1/payment_method_domains', { domain_name: 'string', enabled: 'boolean' }),
    retrieveRoute(PAYMENT_METHOD_DOMAINS, '/v1/payment_method_domains', 'payment_method_domain', 'payment_method_domain'),
    {
      method: 'POST',
      path: '/v1/payment_method_domains/:id',
      params: { ...EXPAND, enabled: 'boolean' },
      handler: (core, { path, params, account }) => {
        const domain = owned(core, path.id as string, account);
        if (typeof params.enabled === 'boolean') domain.enabled = params.enabled;
        return domain;
      },
    },
    {
      method: 'POST',
      path: '/v1/payment_method_domains/:id/validate',
      params: EXPAND,
      handler: (core, { path, account }) => owned(core, path.id as string, account),
    },
  ],
};
