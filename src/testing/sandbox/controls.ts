/**
 * Test-only controls: what a user or Stripe would do outside the API (finish onboarding, connect through OAuth, pay
 * on the hosted Checkout page). The `Sandbox` class exposes them; the hosted pages call them too.
 */
import type Stripe from 'stripe';
import { randomToken } from '../../util/random.js';
import type { SandboxCore } from './core/core.js';
import { clone } from './core/util.js';
import { noSuch } from './errors.js';
import { accountRequirements } from './objects.js';
import { capabilityObject, createAccount, requireAccount } from './resources/accounts.js';
import { paySession, SESSIONS } from './resources/checkout-sessions.js';
import { OAUTH_CODES } from './resources/oauth.js';

/**
 * Finishes onboarding for a connected account, as if the vendor completed the hosted form: requirements are cleared,
 * requested capabilities become active, details are submitted and payouts enabled. Emits `capability.updated` and
 * `account.updated` (Connect events).
 */
export function completeOnboarding(core: SandboxCore, accountId: string): Stripe.Account {
  const account = requireAccount(core, accountId);
  const previous = {
    capabilities: clone(account.capabilities),
    charges_enabled: account.charges_enabled,
    details_submitted: account.details_submitted,
    payouts_enabled: account.payouts_enabled,
    requirements: clone(account.requirements),
  };
  const capabilities = (account.capabilities ?? {}) as Record<string, string>;
  for (const name of Object.keys(capabilities)) {
    if (capabilities[name] !== 'active') {
      capabilities[name] = 'active';
      core.emit('capability.updated', capabilityObject(account, name), account.id, { status: 'inactive' });
    }
  }
  account.details_submitted = true;
  account.payouts_enabled = true;
  account.charges_enabled = capabilities.card_payments === 'active';
  account.requirements = accountRequirements([]);
  account.tos_acceptance = { date: core.nowSeconds(), ip: '127.0.0.1', user_agent: null };
  core.emit('account.updated', account, account.id, previous);
  return clone(account);
}

/**
 * Mints a single-use OAuth authorization code, as Stripe's authorize page would after the user connects. Without
 * `accountId`, a new Standard account (already onboarded) is created for it.
 */
export function createOAuthCode(core: SandboxCore, accountId?: string): { code: string; accountId: string } {
  let id = accountId;
  if (id === undefined) {
    id = createAccount(core, { type: 'standard' }, core.platformId).id;
    completeOnboarding(core, id);
  } else requireAccount(core, id);
  const code = `ac_${randomToken(24)}`;
  core.state(OAUTH_CODES).set(code, id);
  return { code, accountId: id };
}

/** Pays an open Checkout Session with a test payment method, as its hosted page does. */
export function payCheckoutSession(core: SandboxCore, sessionId: string, paymentMethod: string): Stripe.Checkout.Session {
  const stored = core.state(SESSIONS).get(sessionId);
  if (!stored) throw noSuch('checkout.session', sessionId);
  return clone(
    core.withRequest({ account: stored.owner, path: `/checkout/${sessionId}` }, () => paySession(core, stored, paymentMethod)),
  );
}
