import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, type ResourceModule } from '../core/routes.js';
import { defineState } from '../core/store.js';
import { str } from '../core/util.js';
import { invalidRequest } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { requireAccount } from './accounts.js';

const ACCOUNT_LINK_TTL_SECONDS = 300;

/** An account link's hosted onboarding page: single use, and it expires. */
export interface LinkState {
  account: string;
  refreshUrl: string;
  returnUrl: string;
  expiresAt: number;
  state: 'new' | 'opened' | 'used';
}

/** Account links by the token in their URL. */
export const ACCOUNT_LINKS = defineState('account_links', () => new Map<string, LinkState>());

function createAccountLink(core: SandboxCore, p: Params): Stripe.AccountLink {
  const account = requireAccount(core, p.account as string);
  const type = p.type as string;
  if (type === 'account_update' && account.controller?.stripe_dashboard?.type !== 'none') {
    throw invalidRequest(
      'You cannot create `account_update` type Account Links for accounts with access to a Stripe dashboard.',
      {
        param: 'type',
      },
    );
  }
  for (const key of ['refresh_url', 'return_url'] as const) {
    const value = str(p[key]);
    if (!value || !/^https?:\/\//.test(value)) throw invalidRequest(`Not a valid URL`, { param: key, code: 'url_invalid' });
  }
  const token = randomToken(18);
  const created = core.nowSeconds();
  const expiresAt = created + ACCOUNT_LINK_TTL_SECONDS;
  core.state(ACCOUNT_LINKS).set(token, {
    account: account.id,
    refreshUrl: p.refresh_url as string,
    returnUrl: p.return_url as string,
    expiresAt,
    state: 'new',
  });
  return { object: 'account_link', created, expires_at: expiresAt, url: `${core.origin}/connect/onboarding/${token}` };
}

const ACCOUNT_LINK_CREATE: SpecObject = {
  ...EXPAND,
  account: 'string!',
  type: 'enum:account_onboarding|account_update!',
  refresh_url: 'string',
  return_url: 'string!',
  collect: 'enum:currently_due|eventually_due',
  collection_options: { fields: 'enum:currently_due|eventually_due', future_requirements: 'enum:include|omit' },
};

export const accountLinks: ResourceModule = {
  name: 'account links',
  routes: [
    {
      method: 'POST',
      path: '/v1/account_links',
      params: ACCOUNT_LINK_CREATE,
      handler: (core, { params }) => createAccountLink(core, params),
    },
  ],
};
