import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { type Context, callStripe } from '../context.js';
import { MarketplaceError } from '../errors.js';
import { requireVendor } from '../services/vendors.js';
import { lazy, parseWith } from '../util/validate.js';
import { idSchema, webUrlSchema } from '../util/schemas.js';

/**
 * Tools around the charge: the customer portal, wallet domains (Apple Pay, Google Pay) and Connect embedded
 * components' account sessions. None of them stores anything: each returns what Stripe made, once per call.
 */

// ---- customer portal ------------------------------------------------------------------------------

export interface CustomerPortalLinkInput {
  /** The Stripe customer (`cus_...`) on the platform account, for example the one a subscription was made for. */
  customer: string;
  /** Where the portal's "return" link sends the customer: `https:` (`http:` only on localhost). */
  returnUrl: string;
  /** A portal configuration (`bpc_...`); Stripe's default configuration when omitted. */
  configuration?: string;
}

export interface CustomerPortalLinkResult {
  /** The portal session's URL. Short-lived: redirect the customer to it at once and never store it. */
  url: string;
}

const portalSchema = lazy(() =>
  z.strictObject({
    customer: z.string().check(z.regex(/^cus_[A-Za-z0-9]+$/)),
    returnUrl: webUrlSchema(),
    configuration: z.optional(z.string().check(z.regex(/^bpc_[A-Za-z0-9]+$/))),
  }),
);

/**
 * A billing portal session (https://docs.stripe.com/api/customer_portal/sessions/create). No idempotency key on
 * purpose: a session is a short-lived, one-visit URL, and a retried call should get a fresh one, not the same one.
 */
export async function customerPortalLink(ctx: Context, input: CustomerPortalLinkInput): Promise<CustomerPortalLinkResult> {
  const data = parseWith(portalSchema(), input, 'customerPortalLink');
  const params: Stripe.BillingPortal.SessionCreateParams = { customer: data.customer, return_url: data.returnUrl };
  if (data.configuration) params.configuration = data.configuration;
  const session = await callStripe('billingPortal.sessions.create', () => ctx.stripe.billingPortal.sessions.create(params));
  return { url: session.url };
}

// ---- payment method domains -----------------------------------------------------------------------

export interface RegisterPaymentDomainOptions {
  /**
   * Register the domain on this vendor's connected account instead of the platform: needed when the vendor is
   * the merchant of record of the payments shown on the domain (direct charges, or `on_behalf_of`).
   */
  vendorId?: string;
}

/** A wallet's status on a registered domain, as Stripe reports it. */
export interface PaymentDomainWallet {
  status: 'active' | 'inactive';
  /** Why the wallet is inactive (for example, Apple's domain verification failed). */
  errorMessage?: string;
}

export interface PaymentDomainResult {
  /** The payment method domain (`pmd_...`). */
  id: string;
  /** The registered domain, lower case. */
  domain: string;
  /** The account it is registered on: the vendor's connected account, or null for the platform. */
  accountId: string | null;
  enabled: boolean;
  applePay: PaymentDomainWallet;
  googlePay: PaymentDomainWallet;
  /** True when this call registered it, false when it was registered already (and is returned as it is). */
  created: boolean;
}

/** A host name as Stripe registers it: labels of letters, digits and hyphens, at least one dot; no scheme, port or path. */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

const domainSchema = lazy(() =>
  z.string().check(
    z.refine((value) => DOMAIN.test(value.toLowerCase()), {
      message: 'must be a domain name such as shop.example.com (no scheme, port, path or IP address)',
    }),
  ),
);

const domainOptionsSchema = lazy(() => z.strictObject({ vendorId: z.optional(idSchema()) }));

function wallet(w: { status: string; status_details?: { error_message?: string } | null } | undefined): PaymentDomainWallet {
  const result: PaymentDomainWallet = { status: w?.status === 'active' ? 'active' : 'inactive' };
  const message = w?.status_details?.error_message;
  if (message) result.errorMessage = message;
  return result;
}

function domainResult(domain: Stripe.PaymentMethodDomain, accountId: string | null, created: boolean): PaymentDomainResult {
  return {
    id: domain.id,
    domain: domain.domain_name,
    accountId,
    enabled: domain.enabled,
    applePay: wallet(domain.apple_pay),
    googlePay: wallet(domain.google_pay),
    created,
  };
}

/**
 * Registers `domain` for wallets (https://docs.stripe.com/payments/payment-methods/pmd-registration) on the
 * platform, or on a vendor's connected account. Registering a domain twice is not an error: the registration
 * that exists is returned (enabled again if it was disabled). A new one is created with an idempotency key
 * derived from the account and the domain, so concurrent or retried calls make one registration.
 */
export async function registerPaymentDomain(
  ctx: Context,
  domainInput: unknown,
  options: RegisterPaymentDomainOptions = {},
): Promise<PaymentDomainResult> {
  const domain = parseWith(domainSchema(), domainInput, 'registerPaymentDomain(domain)').toLowerCase();
  const data = parseWith(domainOptionsSchema(), options, 'registerPaymentDomain(domain, options)');
  const accountId = data.vendorId ? (await requireVendor(ctx, data.vendorId)).accountId : null;
  const on: Stripe.RequestOptions = accountId ? { stripeAccount: accountId } : {};
  const listed = await callStripe('paymentMethodDomains.list', () =>
    ctx.stripe.paymentMethodDomains.list({ domain_name: domain, limit: 1 }, on),
  );
  const existing = listed.data.find((d) => d.domain_name.toLowerCase() === domain);
  if (existing) {
    if (existing.enabled) return domainResult(existing, accountId, false);
    const enabled = await callStripe('paymentMethodDomains.update', () =>
      ctx.stripe.paymentMethodDomains.update(existing.id, { enabled: true }, on),
    );
    return domainResult(enabled, accountId, false);
  }
  const key = `payment-method-domain:${data.vendorId ? `vendor:${data.vendorId}` : 'platform'}:${domain}`;
  const created = await callStripe('paymentMethodDomains.create', () =>
    ctx.stripe.paymentMethodDomains.create({ domain_name: domain }, { ...on, idempotencyKey: key }),
  );
  return domainResult(created, accountId, true);
}

// ---- account sessions (Connect embedded components) ----------------------------------------------

/**
 * The embedded components `vendorSession` accepts, each with the features Stripe documents for it
 * (https://docs.stripe.com/api/account_sessions/create, stripe-node 23's `AccountSessionCreateParams`).
 * Components a marketplace shows its vendors: onboarding and account management, payments, payouts, balances.
 */
const USER_AUTH = ['disable_stripe_user_authentication', 'external_account_collection'] as const;
const PAYMENT_FEATURES = [
  'capture_payments',
  'destination_on_behalf_of_charge_management',
  'dispute_management',
  'refund_management',
  'smart_disputes_management',
] as const;
const PAYOUT_FEATURES = [...USER_AUTH, 'edit_payout_schedule', 'instant_payouts', 'standard_payouts'] as const;

export const VENDOR_SESSION_COMPONENTS = {
  account_onboarding: USER_AUTH,
  account_management: USER_AUTH,
  notification_banner: USER_AUTH,
  payments: PAYMENT_FEATURES,
  payment_details: PAYMENT_FEATURES,
  disputes_list: PAYMENT_FEATURES,
  payouts: PAYOUT_FEATURES,
  balances: PAYOUT_FEATURES,
  payouts_list: [],
  documents: [],
  tax_settings: [],
  tax_registrations: [],
} as const satisfies Record<string, readonly string[]>;

export type VendorSessionComponent = keyof typeof VENDOR_SESSION_COMPONENTS;

/** A component: `true` to enable it with Stripe's default features, or `{ features }` to choose them. */
export type VendorSessionComponentConfig = true | { features?: Record<string, boolean> };

export interface VendorSessionInput {
  vendorId: string;
  /** The components the page shows, for example `{ account_onboarding: true, payouts: { features: { instant_payouts: true } } }`. */
  components: Partial<Record<VendorSessionComponent, VendorSessionComponentConfig>>;
}

export interface VendorSessionResult {
  /** For `loadConnectAndInitialize({ fetchClientSecret })` in the browser. Single-use and short-lived: never store or log it. */
  clientSecret: string;
  /** When Stripe stops accepting it, in milliseconds since the epoch. */
  expiresAt: number;
  /** The vendor's connected account. */
  accountId: string;
}

const vendorSessionSchema = lazy(() => {
  const component = (features: readonly string[]) =>
    z.optional(
      z.union([
        z.literal(true),
        z.strictObject({
          features: z.optional(z.strictObject(Object.fromEntries(features.map((f) => [f, z.optional(z.boolean())])))),
        }),
      ]),
    );
  const shape = Object.fromEntries(
    Object.entries(VENDOR_SESSION_COMPONENTS).map(([name, features]) => [name, component(features)]),
  );
  return z.strictObject({ vendorId: idSchema(), components: z.strictObject(shape) });
});

/**
 * Turning Stripe user authentication off, which this library's vendors cannot have. Their requirements are collected
 * by Stripe (`controller.requirement_collection: 'stripe'`; OAuth connects Standard accounts, whose requirements Stripe
 * collects too), and `disable_stripe_user_authentication` "can only be true for accounts where
 * controller.requirement_collection is application" (https://docs.stripe.com/api/account_sessions/create). It defaults
 * to the opposite of `external_account_collection`, so `external_account_collection: false` alone turns it off as well;
 * with `disable_stripe_user_authentication: false` given explicitly it is allowed since API version 2026-03-25
 * (https://docs.stripe.com/changelog/dahlia/2026-03-25/relaxed_external_account_collection_account_session).
 */
function refuseAuthenticationOff(components: Record<string, unknown>): void {
  for (const [name, config] of Object.entries(components)) {
    const features =
      (typeof config === 'object' && config !== null ? (config as { features?: Record<string, boolean> }).features : undefined) ??
      {};
    const external = features.external_account_collection;
    const disable = features.disable_stripe_user_authentication ?? (external === false ? true : undefined);
    if (disable === true) {
      const given =
        features.disable_stripe_user_authentication === true
          ? 'disable_stripe_user_authentication: true'
          : 'external_account_collection: false without disable_stripe_user_authentication: false';
      throw new MarketplaceError(
        'INVALID_INPUT',
        `vendorSession: components.${name}.features has ${given}, which turns Stripe user authentication off; that is only possible for accounts whose requirements the platform collects, and Stripe collects them for this library's vendors`,
        { details: { param: `components.${name}.features` } },
      );
    }
  }
}

/**
 * An Account Session for Connect embedded components (https://docs.stripe.com/connect/get-started-connect-embedded-components).
 * No idempotency key on purpose: the client secret is single-use, so a retried call needs a new session, not
 * the same one again.
 */
export async function vendorSession(ctx: Context, input: VendorSessionInput): Promise<VendorSessionResult> {
  const data = parseWith(vendorSessionSchema(), input, 'vendorSession');
  const entries = Object.entries(data.components).filter(([, config]) => config !== undefined);
  if (entries.length === 0) {
    throw new MarketplaceError('INVALID_INPUT', 'vendorSession: components must enable at least one component', {
      details: { param: 'components' },
    });
  }
  refuseAuthenticationOff(data.components);
  const vendor = await requireVendor(ctx, data.vendorId);
  const components: Record<string, { enabled: true; features?: Record<string, boolean> }> = {};
  for (const [name, config] of entries) {
    const given = config === true ? {} : ((config as { features?: Record<string, boolean | undefined> }).features ?? {});
    const features = Object.fromEntries(Object.entries(given).filter(([, on]) => on !== undefined)) as Record<string, boolean>;
    components[name] = Object.keys(features).length > 0 ? { enabled: true, features } : { enabled: true };
  }
  const session = await callStripe('accountSessions.create', () =>
    ctx.stripe.accountSessions.create({
      account: vendor.accountId,
      components: components as Stripe.AccountSessionCreateParams.Components,
    }),
  );
  return { clientSecret: session.client_secret, expiresAt: session.expires_at * 1000, accountId: vendor.accountId };
}
