import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { str } from '../core/util.js';
import type { FormObject } from '../form.js';
import { messagePage, portalPage } from '../pages.js';
import type { Params } from '../params.js';
import { requireCustomer } from './customers.js';
import { announceUpdate, SUBSCRIPTIONS } from './subscriptions.js';

/**
 * Customer portal sessions (https://docs.stripe.com/api/customer_portal/sessions): a URL the sandbox serves, where the
 * customer sees their subscriptions and can cancel one at the end of its period (the portal's default cancellation
 * mode, https://docs.stripe.com/customer-management/configure-portal).
 */
export const PORTAL_SESSIONS = defineStore<Stripe.BillingPortal.Session>('billing_portal_sessions');

function createPortalSession(core: SandboxCore, p: Params, account: string): Stripe.BillingPortal.Session {
  const customer = requireCustomer(core, p.customer as string, account);
  const id = core.id('bps');
  const session = {
    id,
    object: 'billing_portal.session',
    configuration: str(p.configuration) ?? 'bpc_sandbox_default',
    created: core.nowSeconds(),
    customer: customer.id,
    flow: null,
    livemode: false,
    locale: str(p.locale),
    on_behalf_of: str(p.on_behalf_of),
    return_url: str(p.return_url),
    url: `${core.origin}/billing_portal/session/${id}_${randomToken(12).replace(/[-_]/g, 'x')}`,
  } as unknown as Stripe.BillingPortal.Session;
  core.state(PORTAL_SESSIONS).set(id, account, session);
  return session;
}

const html = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });

/** The portal page at a session's URL: GET lists the subscriptions, POST `action=cancel` cancels one at period end. */
export function portalHostedPage(core: SandboxCore, method: string, url: URL, form: FormObject): Response | undefined {
  const match = /^\/billing_portal\/session\/(bps_\w+?)_\w+$/.exec(url.pathname);
  if (!match) return undefined;
  const stored = core.state(PORTAL_SESSIONS).get(match[1] as string);
  if (!stored?.obj.url?.endsWith(url.pathname))
    return html(404, messagePage('Session not found', 'This billing portal session does not exist.'));
  const session = stored.obj;
  const owned = [...core.state(SUBSCRIPTIONS).values()].filter(
    (s) => s.owner === stored.owner && s.obj.customer === session.customer,
  );
  if (method === 'POST' && form.action === 'cancel') {
    const target = owned.find((s) => s.obj.id === form.subscription);
    if (target && !target.obj.cancel_at_period_end && target.obj.status !== 'canceled') {
      core.withRequest({ account: stored.owner, path: url.pathname }, () => {
        const previous = { cancel_at_period_end: false, cancel_at: target.obj.cancel_at };
        target.obj.cancel_at_period_end = true;
        target.obj.cancel_at = target.obj.items.data[0]?.current_period_end ?? null;
        announceUpdate(core, target, previous);
      });
    }
  } else if (method !== 'GET') return undefined;
  return html(
    200,
    portalPage({
      customer: session.customer,
      subscriptions: owned.map((s) => ({
        id: s.obj.id,
        description: s.obj.items.data.map((i) => `${i.quantity ?? 1} × ${i.price.unit_amount} ${i.price.currency}`).join(', '),
        status: s.obj.cancel_at_period_end ? `${s.obj.status}, cancels at period end` : s.obj.status,
        cancelable: !s.obj.cancel_at_period_end && s.obj.status !== 'canceled',
      })),
      action: url.pathname,
      returnUrl: session.return_url,
    }),
  );
}

export const billingPortal: ResourceModule = {
  name: 'billing portal sessions',
  objects: [PORTAL_SESSIONS],
  routes: [
    {
      method: 'POST',
      path: '/v1/billing_portal/sessions',
      params: {
        ...EXPAND,
        customer: 'string!',
        return_url: 'string',
        configuration: 'string',
        locale: 'string',
        on_behalf_of: 'string',
      },
      handler: (core, { params, account }) => createPortalSession(core, params, account),
    },
  ],
};
