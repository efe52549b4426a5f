import type Stripe from 'stripe';
import { ACCOUNTS, type SandboxCore } from '../core/core.js';
import { list } from '../core/list.js';
import { EXPAND, LIST, type ResourceModule } from '../core/routes.js';
import { clone, meta, mergeMetadata, str } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import { accountRequirements, newAccount } from '../objects.js';
import type { Params, SpecObject } from '../params.js';

/** The account, or Stripe's "No such account" (404 on a GET naming the account in its path, else 400). */
export function requireAccount(core: SandboxCore, id: string, param = 'account'): Stripe.Account {
  const account = core.accounts.get(id)?.obj;
  if (!account) {
    throw invalidRequest(`No such account: '${id}'`, {
      param,
      code: 'resource_missing',
      status: param === 'account' && core.current?.method === 'GET' ? 404 : 400,
    });
  }
  return account;
}

/**
 * The destination of a transfer or a destination charge: it must exist and have one of the capabilities that receive
 * transfers. `param` names the parameter the errors point at.
 */
export function requireTransferDestination(core: SandboxCore, destination: string, param: string): Stripe.Account {
  const account = core.accounts.get(destination)?.obj;
  if (!account) throw invalidRequest(`No such destination: '${destination}'`, { param, code: 'resource_missing' });
  const caps = (account.capabilities ?? {}) as Record<string, string>;
  if (caps.transfers !== 'active' && caps.crypto_transfers !== 'active' && caps.legacy_payments !== 'active') {
    throw invalidRequest(
      'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
      { param, code: 'insufficient_capabilities_for_transfer' },
    );
  }
  return account;
}

/** The capability object of `name` on `account`, as `capability.updated` carries it. */
export function capabilityObject(account: Stripe.Account, name: string) {
  return {
    id: name,
    object: 'capability',
    account: account.id,
    requested: true,
    requested_at: account.created,
    requirements: accountRequirements([]),
    status: (account.capabilities as Record<string, string>)[name],
  };
}

export function createAccount(core: SandboxCore, p: Params, requester: string): Stripe.Account {
  if (requester !== core.platformId) {
    throw invalidRequest('Connected accounts cannot create other accounts; call accounts.create without stripeAccount.', {
      status: 403,
    });
  }
  const controllerParam = p.controller as Params | undefined;
  if (p.type && controllerParam) {
    throw invalidRequest('You cannot pass both `type` and `controller`. `type` is legacy; prefer `controller` properties.', {
      param: 'type',
    });
  }
  const legacy = (str(p.type) ?? (controllerParam ? null : 'standard')) as 'express' | 'standard' | 'custom' | null;
  let dashboard: string;
  let controller: Stripe.Account.Controller;
  if (legacy) {
    dashboard = legacy === 'express' ? 'express' : legacy === 'standard' ? 'full' : 'none';
    controller = {
      fees: { payer: legacy === 'standard' ? 'account' : legacy === 'express' ? 'application_express' : 'application_custom' },
      is_controller: true,
      losses: { payments: legacy === 'standard' ? 'stripe' : 'application' },
      requirement_collection: legacy === 'custom' ? 'application' : 'stripe',
      stripe_dashboard: { type: dashboard as 'express' },
      type: 'application',
    };
  } else {
    const c = controllerParam as Params;
    dashboard = str((c.stripe_dashboard as Params | undefined)?.type) ?? 'full';
    const payer = str((c.fees as Params | undefined)?.payer) ?? 'account';
    const losses = str((c.losses as Params | undefined)?.payments) ?? 'stripe';
    const collection = str(c.requirement_collection) ?? 'stripe';
    if (dashboard !== 'none' && collection === 'application') {
      throw invalidRequest('controller[requirement_collection]=application requires controller[stripe_dashboard][type]=none.', {
        param: 'controller[requirement_collection]',
      });
    }
    controller = {
      fees: { payer: payer as 'account' },
      is_controller: true,
      losses: { payments: losses as 'stripe' },
      requirement_collection: collection as 'stripe',
      stripe_dashboard: { type: dashboard as 'express' },
      type: 'application',
    };
  }
  const type: Stripe.Account.Type = dashboard === 'express' ? 'express' : dashboard === 'full' ? 'standard' : 'custom';
  const requested = meta(p.capabilities) as unknown as Record<string, { requested?: boolean }>;
  const capabilities: Record<string, string> = {};
  for (const [name, value] of Object.entries(requested)) if (value?.requested) capabilities[name] = 'inactive';
  if (type === 'standard') {
    capabilities.card_payments ??= 'inactive';
    capabilities.transfers ??= 'inactive';
  }
  if ((type === 'express' || type === 'custom') && Object.keys(capabilities).length === 0) {
    throw invalidRequest(
      'Accounts without a Stripe dashboard must request at least one capability, for example capabilities[transfers][requested]=true.',
      { param: 'capabilities' },
    );
  }
  const country = (str(p.country) ?? 'US').toUpperCase();
  const email = str(p.email);
  const due = ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'];
  if (!email) due.unshift('email');
  const profile = p.business_profile as Params | undefined;
  const account = newAccount({
    id: core.id('acct'),
    created: core.nowSeconds(),
    type,
    controller,
    country,
    email,
    metadata: meta(p.metadata),
    capabilities: capabilities as Stripe.Account.Capabilities,
    requirements: accountRequirements(due),
    businessType: (str(p.business_type) as Stripe.Account.BusinessType | null) ?? null,
    businessProfile: profile ? businessProfile(profile) : null,
    defaultCurrency: str(p.default_currency) ?? defaultCurrencyFor(country),
  });
  core.accounts.set(account.id, core.platformId, account);
  return account;
}

function updateAccount(core: SandboxCore, id: string, p: Params): Stripe.Account {
  const account = requireAccount(core, id);
  const previous: Record<string, unknown> = {};
  if (p.metadata !== undefined) {
    previous.metadata = clone(account.metadata);
    account.metadata = mergeMetadata(account.metadata ?? {}, p.metadata);
  }
  if (p.email !== undefined) {
    if (account.details_submitted)
      throw invalidRequest('This account has completed onboarding: its email can no longer be changed by the platform.', {
        param: 'email',
      });
    previous.email = account.email;
    account.email = str(p.email);
  }
  if (p.business_profile !== undefined) {
    previous.business_profile = clone(account.business_profile);
    account.business_profile = businessProfile(p.business_profile as Params, account.business_profile);
  }
  if (p.capabilities !== undefined) requestCapabilities(core, account, p.capabilities as Record<string, Params>, previous);
  if (Object.keys(previous).length > 0) core.emit('account.updated', account, account.id, previous);
  return account;
}

/**
 * Capabilities requested or unrequested after creation. A capability requested on an onboarded account goes through
 * `capability.updated` (inactive, then active, as its requirements are already met), and `charges_enabled` follows
 * `card_payments`. Source: https://docs.stripe.com/connect/account-capabilities#requesting-unrequesting.
 */
function requestCapabilities(
  core: SandboxCore,
  account: Stripe.Account,
  requested: Record<string, Params>,
  previous: Record<string, unknown>,
): void {
  const before = clone(account.capabilities);
  const caps = (account.capabilities ?? {}) as Record<string, string>;
  const changed: [string, string | undefined][] = [];
  for (const [name, value] of Object.entries(requested)) {
    if (value.requested === true && !caps[name]) {
      caps[name] = account.details_submitted ? 'active' : 'inactive';
      changed.push([name, undefined]);
    }
    if (value.requested === false && caps[name]) {
      changed.push([name, caps[name]]);
      delete caps[name];
    }
  }
  account.capabilities = caps as Stripe.Account.Capabilities;
  if (changed.length === 0) return;
  previous.capabilities = before;
  const chargesEnabled = caps.card_payments === 'active';
  if (account.charges_enabled !== chargesEnabled) {
    previous.charges_enabled = account.charges_enabled;
    account.charges_enabled = chargesEnabled;
  }
  for (const [name, was] of changed) {
    const capability = capabilityObject(account, name);
    if (was === undefined) {
      capability.requested_at = core.nowSeconds();
      core.emit('capability.updated', capability, account.id, { requested: false, requested_at: null, status: 'unrequested' });
    } else {
      Object.assign(capability, { requested: false, requested_at: null, status: 'unrequested' });
      core.emit('capability.updated', capability, account.id, { requested: true, status: was });
    }
  }
}

/**
 * Deleting a connected account disconnects it from the platform, which Stripe reports to the platform as
 * `account.application.deauthorized` (a Connect event carrying the account's id). Source:
 * https://docs.stripe.com/api/events/types#event_types-account.application.deauthorized.
 */
function deleteAccount(core: SandboxCore, id: string): Stripe.DeletedAccount {
  requireAccount(core, id);
  const balance = [...core.ledger.totals(id).values()].reduce((s, net) => s + net, 0);
  if (balance !== 0) throw invalidRequest('This account cannot be deleted: its balance is not zero.', { param: 'account' });
  core.accounts.delete(id);
  core.emit('account.application.deauthorized', { id: 'ca_sandbox', object: 'application', name: null } as { id: string }, id);
  return { id, object: 'account', deleted: true };
}

function businessProfile(p: Params, base: Stripe.Account.BusinessProfile | null = null): Stripe.Account.BusinessProfile {
  const profile: Stripe.Account.BusinessProfile = base ?? {
    mcc: null,
    minority_owned_business_designation: null,
    name: null,
    specified_commercial_transactions_act_url: null,
    support_address: null,
    support_email: null,
    support_phone: null,
    support_url: null,
    url: null,
  };
  return { ...profile, ...(p as Partial<Stripe.Account.BusinessProfile>) };
}

const DEFAULT_CURRENCIES: Record<string, string> = {
  GB: 'gbp',
  US: 'usd',
  CA: 'cad',
  AU: 'aud',
  JP: 'jpy',
  CH: 'chf',
  SE: 'sek',
  NO: 'nok',
  DK: 'dkk',
  NZ: 'nzd',
  SG: 'sgd',
  HK: 'hkd',
  MX: 'mxn',
  BR: 'brl',
  IN: 'inr',
  PL: 'pln',
};

function defaultCurrencyFor(country: string): string {
  return DEFAULT_CURRENCIES[country] ?? 'eur';
}

const BUSINESS_PROFILE: SpecObject = {
  mcc: 'string',
  name: 'string',
  product_description: 'string',
  support_email: 'string',
  support_phone: 'string',
  support_url: 'string',
  url: 'string',
  support_address: 'any',
  annual_revenue: 'any',
  estimated_worker_count: 'integer',
  minority_owned_business_designation: 'strings',
  monthly_estimated_revenue: 'any',
};

const CAPABILITIES: SpecObject = Object.fromEntries(
  [
    'transfers',
    'card_payments',
    'crypto_transfers',
    'legacy_payments',
    'link_payments',
    'bacs_debit_payments',
    'sepa_debit_payments',
    'us_bank_account_ach_payments',
  ].map((c) => [c, { requested: 'boolean' }]),
);

const ACCOUNT_CREATE: SpecObject = {
  ...EXPAND,
  type: 'enum:custom|express|standard',
  controller: {
    fees: { payer: 'enum:account|application' },
    losses: { payments: 'enum:application|stripe' },
    requirement_collection: 'enum:application|stripe',
    stripe_dashboard: { type: 'enum:express|full|none' },
  },
  country: 'string',
  email: 'string',
  metadata: 'metadata',
  capabilities: CAPABILITIES,
  business_type: 'enum:company|government_entity|individual|non_profit',
  business_profile: BUSINESS_PROFILE,
  default_currency: 'string',
  settings: 'any',
  tos_acceptance: 'any',
  individual: 'any',
  company: 'any',
  external_account: 'any',
};

const ACCOUNT_UPDATE: SpecObject = {
  ...EXPAND,
  email: 'string',
  metadata: 'metadata',
  capabilities: CAPABILITIES,
  business_profile: BUSINESS_PROFILE,
  settings: 'any',
  default_currency: 'string',
};

export const accounts: ResourceModule = {
  name: 'accounts',
  objects: [ACCOUNTS],
  routes: [
    {
      method: 'POST',
      path: '/v1/accounts',
      params: ACCOUNT_CREATE,
      handler: (core, { params, account }) => createAccount(core, params, account),
    },
    {
      method: 'GET',
      path: '/v1/accounts',
      params: LIST,
      handler: (core, { params }) =>
        list(
          [...core.accounts.values()].map((s) => s.obj),
          params,
          '/v1/accounts',
        ),
    },
    {
      method: 'GET',
      path: '/v1/accounts/:id',
      params: EXPAND,
      handler: (core, { path }) => requireAccount(core, path.id as string),
    },
    {
      method: 'POST',
      path: '/v1/accounts/:id',
      params: ACCOUNT_UPDATE,
      handler: (core, { path, params }) => updateAccount(core, path.id as string, params),
    },
    {
      method: 'DELETE',
      path: '/v1/accounts/:id',
      params: null,
      handler: (core, { path }) => deleteAccount(core, path.id as string),
    },
    { method: 'GET', path: '/v1/account', params: EXPAND, handler: (core, { account }) => requireAccount(core, account) },
  ],
};
