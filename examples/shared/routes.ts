/**
 * What every page of the example marketplace does, independent of the web framework. The Express and
 * Fastify servers only translate requests into these calls and replies back into responses.
 */
import { randomUUID } from 'node:crypto';
import { isMarketplaceError, type Marketplace } from 'stripe-marketplace';
import type { ExampleLog } from './log.js';
import { vendorSessions } from './session.js';
import {
  errorPage,
  homePage,
  orderPage,
  embeddedOnboardingPage,
  paymentElementPage,
  platformPage,
  shopPage,
  type SharedTrip,
  vendorSignupPage,
  vendorStatusPage,
  type Product,
} from './views.js';

export type Reply = ({ status: number; html: string } | { status: 303; redirect: string } | { status: number; json: unknown }) & {
  /** A `Set-Cookie` header to send with the reply. */
  cookie?: string;
};

/** What a page knows about its request besides the path parameters and the form. */
export interface RequestInfo {
  /** The `Cookie` header. */
  cookie?: string | undefined;
  /** The path and query as requested, for the log (the page's path pattern when absent). */
  url?: string | undefined;
}

export interface RouteDeps {
  market: Marketplace;
  /** The server's own origin, for return and refresh URLs (known once it listens). */
  baseUrl(): string;
  /** `hosted` (Stripe Checkout, or the sandbox's test-card page) or `embedded` (Payment Element). */
  checkoutMode: 'hosted' | 'embedded';
  /** For the Payment Element and Connect.js. */
  publishableKey?: string;
  /**
   * `hosted` (the default): drivers onboard on Stripe's page through an Account Link (the sandbox's page offline).
   * `embedded`: inside the driver's page with Connect.js and an Account Session; needs `publishableKey` and real keys.
   */
  onboarding?: 'hosted' | 'embedded';
  /** Shown on the home page: "offline sandbox" or "Stripe test mode". */
  stripeLabel: string;
  /** Signs the driver session cookies (SESSION_SECRET); random per process when omitted. */
  sessionSecret?: string;
  /** Where each page request (and the reason behind an error page) is logged. */
  log?: ExampleLog;
  /** The clock of the order pages' refresh policy (default `Date.now`). */
  now?: () => number;
}

/** Every driver offers the same ride in this example. */
export const RIDE = { name: 'Airport ride', amount: 2000, currency: 'gbp' } as const;

/** A shared trip: two legs with two drivers, paid at once (a cart). Each driver is paid their leg, minus 12 %. */
export const TRIP = {
  legs: [
    { name: 'To the station', amount: 1200 },
    { name: 'Station to the airport', amount: 1850 },
  ],
  currency: 'gbp',
} as const;

const html = (body: string, status = 200): Reply => ({ status, html: body });
const redirect = (location: string): Reply => ({ status: 303, redirect: location });

function slug(name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'driver';
  return `${base}-${randomUUID().slice(0, 8)}`;
}

export function createRoutes(deps: RouteDeps) {
  const { market } = deps;
  const sessions = vendorSessions(deps.sessionSecret);
  /** Driver pages answer only the driver signed in with this browser. */
  const asVendor = (vendorId: string, request: RequestInfo, page: () => Promise<Reply>): Promise<Reply> =>
    sessions.vendorOf(request.cookie) === vendorId
      ? page()
      : Promise.resolve(html(errorPage(403, 'Sign in as this driver to continue onboarding.'), 403));
  const now = deps.now ?? Date.now;
  const vendorUrl = (vendorId: string, page: string) => `${deps.baseUrl()}/vendors/${encodeURIComponent(vendorId)}/${page}`;

  const embedded = deps.onboarding === 'embedded' && Boolean(deps.publishableKey);

  async function onboard(vendorId: string, email?: string): Promise<Reply> {
    if (embedded) {
      // The driver onboards inside our own page: only the connected account is needed (onboardVendor creates it once;
      // the Account Link it also returns then is not used).
      if (!(await market.getVendor(vendorId))) {
        await market.onboardVendor({
          vendorId,
          country: 'GB',
          ...(email ? { email } : {}),
          returnUrl: vendorUrl(vendorId, 'return'),
          refreshUrl: vendorUrl(vendorId, 'refresh'),
        });
      }
      return html(
        embeddedOnboardingPage({
          publishableKey: deps.publishableKey ?? '',
          sessionUrl: vendorUrl(vendorId, 'account-session'),
          returnUrl: vendorUrl(vendorId, 'return'),
        }),
      );
    }
    const { url } = await market.onboardVendor({
      vendorId,
      country: 'GB',
      ...(email ? { email } : {}),
      returnUrl: vendorUrl(vendorId, 'return'),
      refreshUrl: vendorUrl(vendorId, 'refresh'),
    });
    return redirect(url);
  }

  return {
    home: async (): Promise<Reply> => html(homePage(deps.stripeLabel)),

    signupForm: async (): Promise<Reply> => html(vendorSignupPage()),

    /** Signs the new driver in (a real platform uses its own login here) and sends them to onboarding. */
    signup: async (form: { name?: string; email?: string }): Promise<Reply> => {
      const vendorId = slug(form.name ?? '');
      const reply = await onboard(vendorId, form.email);
      // Embedded: the onboarding page has its own address, so that reloading it does not sign up again.
      return { ...(embedded ? redirect(vendorUrl(vendorId, 'onboard')) : reply), cookie: sessions.cookie(vendorId) };
    },

    onboard: (vendorId: string, request: RequestInfo): Promise<Reply> => asVendor(vendorId, request, () => onboard(vendorId)),

    /** Stripe sends the vendor here when the link expired or was used: mint a new one. */
    refresh: (vendorId: string, request: RequestInfo): Promise<Reply> => asVendor(vendorId, request, () => onboard(vendorId)),

    /** Connect.js asks for a new Account Session whenever it needs one: a single-use client secret, never stored. */
    accountSession: (vendorId: string, request: RequestInfo): Promise<Reply> =>
      asVendor(vendorId, request, async () => {
        if (!embedded) return html(errorPage(404, 'There is no such page.'), 404);
        const { clientSecret } = await market.vendorSession({ vendorId, components: { account_onboarding: true } });
        return { status: 200, json: { clientSecret } };
      }),

    /** Reaching this page proves nothing: ask Stripe. */
    vendorReturn: (vendorId: string, request: RequestInfo): Promise<Reply> =>
      asVendor(vendorId, request, async () => html(vendorStatusPage(await market.completeOnboarding({ vendorId })))),

    shop: async (): Promise<Reply> => {
      const vendors = await market.listVendors({ statuses: ['active', 'action_required'] });
      const products: Product[] = vendors.map((v) => ({ vendorId: v.vendorId, orderId: `order_${randomUUID()}`, ...RIDE }));
      const [second, first] = vendors;
      const trip: SharedTrip | undefined =
        first && second
          ? {
              orderId: `cart_${randomUUID()}`,
              currency: TRIP.currency,
              legs: [
                { vendorId: first.vendorId, ...TRIP.legs[0] },
                { vendorId: second.vendorId, ...TRIP.legs[1] },
              ],
            }
          : undefined;
      return html(shopPage(products, trip));
    },

    /** A shared trip: one payment for two drivers; each gets a transfer of their leg once the payment succeeds. */
    buyTrip: async (form: { first?: string; second?: string; orderId?: string }): Promise<Reply> => {
      const orderId = form.orderId && /^cart_[a-z0-9-]{8,40}$/.test(form.orderId) ? form.orderId : `cart_${randomUUID()}`;
      const orderUrl = `${deps.baseUrl()}/orders/${encodeURIComponent(orderId)}`;
      const items = [
        { vendorId: form.first ?? '', amount: TRIP.legs[0].amount, description: `${TRIP.legs[0].name} with ${form.first ?? ''}` },
        {
          vendorId: form.second ?? '',
          amount: TRIP.legs[1].amount,
          description: `${TRIP.legs[1].name} with ${form.second ?? ''}`,
        },
      ];
      if (deps.checkoutMode === 'hosted') {
        const checkout = await market.createCheckout({
          mode: 'hosted',
          orderId,
          currency: TRIP.currency,
          items,
          successUrl: orderUrl,
          cancelUrl: `${deps.baseUrl()}/shop`,
        });
        return checkout.url ? redirect(checkout.url) : redirect(orderUrl);
      }
      const checkout = await market.createCheckout({ orderId, currency: TRIP.currency, items });
      return html(
        paymentElementPage({
          publishableKey: deps.publishableKey ?? '',
          clientSecret: checkout.clientSecret,
          orderId,
          baseUrl: deps.baseUrl(),
        }),
      );
    },

    buy: async (form: { vendorId?: string; orderId?: string }): Promise<Reply> => {
      const vendorId = form.vendorId ?? '';
      // The order id comes from the form, so a double-submitted form is one payment, not two.
      const orderId = form.orderId && /^order_[a-z0-9-]{8,40}$/.test(form.orderId) ? form.orderId : `order_${randomUUID()}`;
      const orderUrl = `${deps.baseUrl()}/orders/${encodeURIComponent(orderId)}`;
      if (deps.checkoutMode === 'hosted') {
        const checkout = await market.createCheckout({
          mode: 'hosted',
          orderId,
          vendorId,
          currency: RIDE.currency,
          lineItems: [{ name: RIDE.name, unitAmount: RIDE.amount, quantity: 1 }],
          successUrl: orderUrl,
          cancelUrl: `${deps.baseUrl()}/shop`,
        });
        return checkout.url ? redirect(checkout.url) : redirect(orderUrl);
      }
      const checkout = await market.createCheckout({ orderId, vendorId, amount: RIDE.amount, currency: RIDE.currency });
      return html(
        paymentElementPage({
          publishableKey: deps.publishableKey ?? '',
          clientSecret: checkout.clientSecret,
          orderId,
          baseUrl: deps.baseUrl(),
        }),
      );
    },

    order: async (orderId: string): Promise<Reply> => {
      const order = await market.getOrder(orderId);
      if (!order) return html(errorPage(404, 'There is no such order.'), 404);
      const transfers = order.chargeType === 'separate' ? await market.listTransfers(orderId) : [];
      return html(orderPage(order, now(), transfers));
    },

    platform: async (): Promise<Reply> => html(platformPage(await market.listOrders({ limit: 100 }), now())),
  };
}

export type Routes = ReturnType<typeof createRoutes>;

/** One page: its method and path (`:name` marks a parameter, as in Express and Fastify) and what it does. */
export interface Page {
  method: 'GET' | 'POST';
  path: string;
  run(params: Record<string, string>, form: Record<string, string>, request: RequestInfo): Promise<Reply>;
}

/**
 * Every page of the example, for the servers to mount. Pages never throw: an error becomes an error page meant for the
 * visitor, and the library's own message goes to the log. Each request is logged with its answer.
 */
export function pages(deps: RouteDeps): Page[] {
  const routes = createRoutes(deps);
  const table: Page[] = [
    { method: 'GET', path: '/', run: () => routes.home() },
    { method: 'GET', path: '/vendors/new', run: () => routes.signupForm() },
    { method: 'POST', path: '/vendors', run: (_p, form) => routes.signup(form) },
    { method: 'GET', path: '/vendors/:vendorId/onboard', run: (p, _f, r) => routes.onboard(String(p.vendorId), r) },
    { method: 'GET', path: '/vendors/:vendorId/refresh', run: (p, _f, r) => routes.refresh(String(p.vendorId), r) },
    { method: 'GET', path: '/vendors/:vendorId/return', run: (p, _f, r) => routes.vendorReturn(String(p.vendorId), r) },
    {
      method: 'POST',
      path: '/vendors/:vendorId/account-session',
      run: (p, _f, r) => routes.accountSession(String(p.vendorId), r),
    },
    { method: 'GET', path: '/shop', run: () => routes.shop() },
    { method: 'POST', path: '/orders', run: (_p, form) => routes.buy(form) },
    { method: 'POST', path: '/trips', run: (_p, form) => routes.buyTrip(form) },
    { method: 'GET', path: '/orders/:orderId', run: (p) => routes.order(String(p.orderId)) },
    { method: 'GET', path: '/platform', run: () => routes.platform() },
  ];
  return table.map((page) => ({
    ...page,
    async run(params, form, request) {
      const started = performance.now();
      const url = request.url ?? page.path;
      const reply = await page.run(params, form, request).catch((error: unknown) => {
        deps.log?.pageError(page.method, url, error);
        return errorReply(error);
      });
      const ms = Math.round(performance.now() - started);
      deps.log?.page(page.method, url, reply.status, ms, 'redirect' in reply ? reply.redirect : undefined);
      return reply;
    },
  }));
}

/** What a visitor is told about a refused request, by the library's error code; anything else is a 500. */
const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  INVALID_INPUT: { status: 400, message: 'Some of the details sent were not valid. Go back and try again.' },
  VENDOR_NOT_FOUND: { status: 404, message: 'There is no such driver. Pick one from the list of rides.' },
  VENDOR_NOT_READY: { status: 409, message: 'This driver cannot take payments yet. Pick another ride.' },
  INVALID_CART: { status: 400, message: 'This trip cannot be booked as it is (two different drivers are needed).' },
  ORDER_CONFLICT: {
    status: 409,
    message: 'This order was already placed with other details. Start again from the list of rides.',
  },
};

/** Maps an error thrown by a route to a page: a refused request is the visitor's problem, the rest is ours. */
export function errorReply(error: unknown): Reply {
  const known = isMarketplaceError(error) ? CLIENT_ERRORS[error.code] : undefined;
  if (known) return html(errorPage(known.status, known.message), known.status);
  if (isMarketplaceError(error) && error.code === 'STRIPE_ERROR') {
    return html(errorPage(502, 'Stripe did not complete the request. Try again in a moment.'), 502);
  }
  return html(errorPage(500, 'Something failed on our side. Try again in a moment.'), 500);
}
