import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, type ResourceModule } from '../core/routes.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { requireAccount } from './accounts.js';

/**
 * Connect embedded components' account sessions (https://docs.stripe.com/api/account_sessions/create). The
 * component names are the ones stripe-node 23 types list for `components`; any other is refused as an unknown
 * parameter. Stripe does not document the session's lifetime beyond "expire relatively quickly"; the sandbox gives
 * it 30 minutes.
 */
export const ACCOUNT_SESSION_COMPONENTS = [
  'account_management',
  'account_onboarding',
  'balance_report',
  'balances',
  'disputes_list',
  'documents',
  'financial_account',
  'financial_account_transactions',
  'instant_payouts_promotion',
  'issuing_card',
  'issuing_cards_list',
  'notification_banner',
  'payment_details',
  'payment_disputes',
  'payment_method_settings',
  'payments',
  'payout_details',
  'payout_reconciliation_report',
  'payouts',
  'payouts_list',
  'reporting_chart',
  'tax_registrations',
  'tax_settings',
  'terminal_hardware_orders',
  'terminal_hardware_shop',
] as const;

export const ACCOUNT_SESSION_SECONDS = 30 * 60;

const COMPONENT: SpecObject = { enabled: 'boolean!', features: 'any' };
const COMPONENTS: SpecObject = Object.fromEntries(ACCOUNT_SESSION_COMPONENTS.map((name) => [name, COMPONENT]));

function createAccountSession(core: SandboxCore, p: Params, requester: string): Stripe.AccountSession {
  if (requester !== core.platformId)
    throw invalidRequest('Account sessions can only be created by the platform, without the Stripe-Account header.', {
      param: 'account',
    });
  const account = requireAccount(core, p.account as string).id;
  const requested = p.components as Record<string, Params>;
  const components: Record<string, unknown> = {};
  for (const name of ACCOUNT_SESSION_COMPONENTS) {
    const c = requested[name];
    components[name] = { enabled: c?.enabled === true, features: (c?.features as object | undefined) ?? {} };
  }
  return {
    object: 'account_session',
    account,
    client_secret: `accs_secret__${randomToken(24)}`,
    components: components as unknown as Stripe.AccountSession.Components,
    expires_at: core.nowSeconds() + ACCOUNT_SESSION_SECONDS,
    livemode: false,
  };
}

export const accountSessions: ResourceModule = {
  name: 'account sessions',
  routes: [
    {
      method: 'POST',
      path: '/v1/account_sessions',
      params: { ...EXPAND, account: 'string!', components: { ...COMPONENTS, '!': true } },
      handler: (core, { params, account }) => createAccountSession(core, params, account),
    },
  ],
};
