import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, type ResourceModule } from '../core/routes.js';
import { defineState } from '../core/store.js';
import { invalidRequest } from '../errors.js';
import { requireAccount } from './accounts.js';

/** Express dashboard login links by the token in their URL; each works once. */
export const LOGIN_LINKS = defineState('login_links', () => new Map<string, { account: string; used: boolean }>());

function createLoginLink(core: SandboxCore, id: string): Stripe.LoginLink {
  const account = requireAccount(core, id);
  if (account.controller?.stripe_dashboard?.type !== 'express') {
    throw invalidRequest('Login links can only be created for accounts that use the Express Dashboard.', { param: 'account' });
  }
  if (!account.details_submitted) {
    throw invalidRequest('Cannot create a login link for an account that has not completed onboarding.', { param: 'account' });
  }
  const token = randomToken(18);
  core.state(LOGIN_LINKS).set(token, { account: id, used: false });
  return { object: 'login_link', created: core.nowSeconds(), url: `${core.origin}/express/${token}` };
}

export const loginLinks: ResourceModule = {
  name: 'login links',
  routes: [
    {
      method: 'POST',
      path: '/v1/accounts/:id/login_links',
      params: EXPAND,
      handler: (core, { path }) => createLoginLink(core, path.id as string),
    },
  ],
};
