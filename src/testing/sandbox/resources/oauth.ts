import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import type { ResourceModule } from '../core/routes.js';
import { defineState } from '../core/store.js';
import { str } from '../core/util.js';
import { OAuthError } from '../errors.js';
import type { Params } from '../params.js';

/** Single-use authorization codes, with the account each connects. */
export const OAUTH_CODES = defineState('oauth_codes', () => new Map<string, string>());

function token(core: SandboxCore, p: Params): Stripe.OAuthToken {
  if (p.grant_type !== 'authorization_code') {
    if (p.grant_type === undefined) throw new OAuthError('invalid_request', 'No grant type specified');
    throw new OAuthError('unsupported_grant_type', `Unsupported grant type: ${String(p.grant_type)}`);
  }
  const code = str(p.code);
  if (!code) throw new OAuthError('invalid_request', 'No authorization code provided');
  const codes = core.state(OAUTH_CODES);
  const accountId = codes.get(code);
  if (!accountId) throw new OAuthError('invalid_grant', `Authorization code does not exist: ${code}`);
  codes.delete(code);
  return {
    access_token: `sk_test_${randomToken(24)}`,
    livemode: false,
    refresh_token: `rt_${randomToken(24)}`,
    scope: 'read_write',
    stripe_publishable_key: `pk_test_${randomToken(24)}`,
    stripe_user_id: accountId,
    token_type: 'bearer',
  } satisfies Stripe.OAuthToken;
}

function deauthorize(core: SandboxCore, p: Params): { stripe_user_id: string } {
  const id = str(p.stripe_user_id);
  if (!id || !core.accounts.has(id)) throw new OAuthError('invalid_client', `No such account: ${id ?? ''}`);
  core.emit(
    'account.application.deauthorized',
    { id: `ca_sandbox`, object: 'application', name: 'sandbox' } as { id: string },
    id,
  );
  return { stripe_user_id: id };
}

/** OAuth answers in its own error shape (`{ error, error_description }`), and `expand` does not apply. */
export const oauth: ResourceModule = {
  name: 'OAuth',
  routes: [
    { method: 'POST', path: '/oauth/token', params: null, expand: false, handler: (core, { params }) => token(core, params) },
    {
      method: 'POST',
      path: '/oauth/deauthorize',
      params: null,
      expand: false,
      handler: (core, { params }) => deauthorize(core, params),
    },
  ],
  unrecognized: {
    prefix: '/oauth/',
    error: (method, path) => new OAuthError('invalid_request', `Unrecognized OAuth request (${method} ${path})`),
  },
};
