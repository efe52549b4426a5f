import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, type ResourceModule } from '../core/routes.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { requireAccount } from './accounts.js';

/**
 * Connect embedded components' account sessions (https://docs.stripe.com/api/account_sessions/create). The
 * components and each one's features are the ones stripe-node 23 types list for `components`; any other is refused as
 * an unknown parameter. Stripe does not document the session's lifetime beyond "expire relatively quickly"; the
 * sandbox gives it 30 minutes.
 */
const USER_AUTH = ['disable_stripe_user_authentication', 'external_account_collection'];
const PAYMENTS = [
  'capture_payments',
  'destination_on_behalf_of_charge_management',
  'dispute_management',
  'refund_management',
  'smart_disputes_management',
];
const PAYOUTS = [...USER_AUTH, 'edit_payout_schedule', 'instant_payouts', 'standard_payouts'];
const ISSUING = ['card_management', 'card_spend_dispute_management', 'cardholder_management', 'spend_control_management'];

export const ACCOUNT_SESSION_FEATURES: Readonly<Record<string, readonly string[]>> = {
  account_management: USER_AUTH,
  account_onboarding: USER_AUTH,
  balance_report: [],
  balances: PAYOUTS,
  disputes_list: PAYMENTS,
  documents: [],
  financial_account: [...USER_AUTH, 'send_money', 'transfer_balance'],
  financial_account_transactions: ['card_spend_dispute_management'],
  instant_payouts_promotion: [...USER_AUTH, 'instant_payouts'],
  issuing_card: ISSUING,
  issuing_cards_list: [...ISSUING, 'disable_stripe_user_authentication'],
  notification_banner: USER_AUTH,
  payment_details: PAYMENTS,
  payment_disputes: PAYMENTS.filter((f) => f !== 'capture_payments'),
  payment_method_settings: ['disable_stripe_user_authentication'],
  payments: PAYMENTS,
  payout_details: [],
  payout_reconciliation_report: [],
  payouts: PAYOUTS,
  payouts_list: [],
  reporting_chart: [],
  tax_registrations: [],
  tax_settings: [],
  terminal_hardware_orders: [],
  terminal_hardware_shop: [],
};

export const ACCOUNT_SESSION_COMPONENTS = Object.keys(ACCOUNT_SESSION_FEATURES);

export const ACCOUNT_SESSION_SECONDS = 30 * 60;

const COMPONENTS: SpecObject = Object.fromEntries(
  Object.entries(ACCOUNT_SESSION_FEATURES).map(([name, features]) => [
    name,
    { enabled: 'boolean!', features: Object.fromEntries(features.map((f) => [f, 'boolean'])) },
  ]),
);

/**
 * The features that depend on who collects the account's requirements
 * (https://docs.stripe.com/api/account_sessions/create): `disable_stripe_user_authentication` "can only be true for
 * accounts where controller.requirement_collection is application", and it defaults to the opposite of
 * `external_account_collection`. Since 2026-03-25 `external_account_collection` may be false when Stripe collects
 * requirements if Stripe user authentication stays on
 * (https://docs.stripe.com/changelog/dahlia/2026-03-25/relaxed_external_account_collection_account_session).
 */
function checkFeatures(name: string, features: Params | undefined, collection: string): void {
  if (!features || collection === 'application') return;
  const external = features.external_account_collection;
  const disable = features.disable_stripe_user_authentication ?? (external === false ? true : undefined);
  if (disable === true) {
    throw invalidRequest(
      'disable_stripe_user_authentication can only be true for accounts where controller.requirement_collection is application.',
      { param: `components[${name}][features][disable_stripe_user_authentication]` },
    );
  }
}

function createAccountSession(core: SandboxCore, p: Params, requester: string): Stripe.AccountSession {
  if (requester !== core.platformId)
    throw invalidRequest('Account sessions can only be created by the platform, without the Stripe-Account header.', {
      param: 'account',
    });
  const connected = requireAccount(core, p.account as string);
  const collection = connected.controller?.requirement_collection ?? 'stripe';
  const requested = p.components as Record<string, Params>;
  const components: Record<string, unknown> = {};
  for (const name of ACCOUNT_SESSION_COMPONENTS) {
    const c = requested[name];
    checkFeatures(name, c?.features as Params | undefined, collection);
    components[name] = { enabled: c?.enabled === true, features: (c?.features as object | undefined) ?? {} };
  }
  return {
    object: 'account_session',
    account: connected.id,
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
