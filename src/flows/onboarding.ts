import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';
import { type Context, callStripe } from '../context.js';
import { ACCOUNT_REQUEST, OAUTH_STATE, type OAuthStateRecord, type VendorRecord } from '../core/records.js';
import { callStorage, getStored, insertRecord } from '../services/records.js';
import { changedPaths } from '../util/changed-paths.js';
import { getVendor, insertVendor, refreshVendor, requireVendor, storeAccountState } from '../services/vendors.js';
import { lazy, parseWith } from '../util/validate.js';
import { randomToken } from '../util/random.js';
import { idSchema, textSchema, webUrlSchema } from '../util/schemas.js';

export interface OnboardVendorInput {
  /** The platform's id for the vendor (at most 200 characters). */
  vendorId: string;
  /** Two-letter country of the vendor's business (for example `GB`). Stripe asks the vendor when omitted. */
  country?: string;
  /** Prefills the vendor's email in onboarding. */
  email?: string;
  /** Prefills the business profile (name, url, mcc, product description, support contacts). */
  businessProfile?: Stripe.AccountCreateParams.BusinessProfile;
  /** Where Stripe sends the vendor when they leave onboarding. Reaching it proves nothing: call `completeOnboarding`. */
  returnUrl: string;
  /** Where Stripe sends the vendor when the link expired or was used. Call `onboardVendor` again there for a new link. */
  refreshUrl: string;
}

export interface OnboardVendorResult {
  /** The Account Link. Single-use; it expires after a few minutes. Redirect the vendor to it right away. */
  url: string;
  /** When the link expires, in milliseconds since the epoch. */
  expiresAt: number;
  /** The vendor's connected account. */
  accountId: string;
}

// The account's business_profile on create (https://docs.stripe.com/api/accounts/create#create_account-business_profile):
// known keys only, with their types; mcc is 4 characters, the strings at most 5000.
const businessProfileSchema = () => {
  const text = () => z.optional(textSchema(5000));
  const revenue = () =>
    z.optional(
      z.strictObject({
        amount: z.number().check(z.int(), z.nonnegative()),
        currency: z.string().check(z.regex(/^[A-Za-z]{3}$/)),
        fiscal_year_end: z.optional(z.string().check(z.maxLength(10))),
      }),
    );
  return z.strictObject({
    annual_revenue: revenue(),
    estimated_worker_count: z.optional(z.number().check(z.int(), z.nonnegative())),
    mcc: z.optional(z.string().check(z.regex(/^\d{4}$/))),
    minority_owned_business_designation: z.optional(z.array(z.string().check(z.maxLength(100))).check(z.maxLength(10))),
    monthly_estimated_revenue: revenue(),
    name: text(),
    product_description: text(),
    specified_commercial_transactions_act_url: text(),
    support_address: z.optional(
      z.strictObject({
        city: text(),
        country: z.optional(z.string().check(z.regex(/^[A-Za-z]{2}$/))),
        line1: text(),
        line2: text(),
        postal_code: text(),
        state: text(),
      }),
    ),
    support_email: z.optional(z.string().check(z.email())),
    support_phone: text(),
    support_url: text(),
    url: text(),
  });
};

const onboardSchema = lazy(() =>
  z.strictObject({
    vendorId: idSchema(),
    country: z.optional(z.string().check(z.regex(/^[A-Za-z]{2}$/))),
    email: z.optional(z.string().check(z.email())),
    businessProfile: z.optional(businessProfileSchema()),
    returnUrl: webUrlSchema(),
    refreshUrl: webUrlSchema(),
  }),
);

/** The controller properties of an Express-dashboard account whose Stripe fees and losses the platform carries. */
export const EXPRESS_CONTROLLER = {
  stripe_dashboard: { type: 'express' },
  fees: { payer: 'application' },
  losses: { payments: 'application' },
  requirement_collection: 'stripe',
} as const satisfies Stripe.AccountCreateParams.Controller;

/** What `onboardVendor` sends to `accounts.create` (validated). */
interface AccountInput {
  readonly vendorId: string;
  readonly country?: string;
  readonly email?: string;
  readonly businessProfile?: object;
}

/** The account fields a caller may give, as `accounts.create` takes them (only those given). */
function givenAccountFields(data: AccountInput): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  if (data.country) given.country = data.country.toUpperCase();
  if (data.email) given.email = data.email;
  if (data.businessProfile) given.business_profile = data.businessProfile;
  return given;
}

/**
 * Refuses a call that gives another country, email or business profile than the vendor's account was
 * requested with (`VENDOR_CONFLICT`). Fields the call leaves out are no conflict: the stored request stands.
 */
function assertSameAccountFields(vendorId: string, stored: Readonly<Record<string, unknown>>, data: AccountInput): void {
  const given = givenAccountFields(data);
  const differences = Object.keys(given).flatMap((key) => changedPaths(stored[key], given[key], key));
  if (differences.length > 0) {
    throw new MarketplaceError(
      'VENDOR_CONFLICT',
      `vendor "${vendorId}"'s account was requested with other values (${differences.join(', ')}); onboardVendor cannot change them`,
      { details: { vendorId, differences } },
    );
  }
}

/**
 * The `accounts.create` request for the vendor: stored before it is sent, so that a retry after a lost
 * answer sends the same parameters under the same idempotency key (Stripe refuses a key reused with other
 * parameters); a retry that gives other values is `VENDOR_CONFLICT`.
 */
async function accountRequest(ctx: Context, data: AccountInput): Promise<Stripe.AccountCreateParams> {
  const params: Stripe.AccountCreateParams = {
    controller: EXPRESS_CONTROLLER,
    capabilities: { transfers: { requested: true } },
    metadata: { vendor_id: data.vendorId },
    ...(givenAccountFields(data) as Partial<Stripe.AccountCreateParams>),
  };
  const { created, record } = await insertRecord(ctx.storage, ACCOUNT_REQUEST, {
    vendorId: data.vendorId,
    request: { method: 'accounts.create', params: params as unknown as Record<string, unknown> },
    createdAt: ctx.now(),
  });
  if (created) return params;
  assertSameAccountFields(data.vendorId, record.data.request.params, data);
  return record.data.request.params as unknown as Stripe.AccountCreateParams;
}

export async function onboardVendor(ctx: Context, input: OnboardVendorInput): Promise<OnboardVendorResult> {
  const data = parseWith(onboardSchema(), input, 'onboardVendor');
  let vendor = await getVendor(ctx, data.vendorId);
  if (vendor) {
    const stored = await getStored(ctx.storage, ACCOUNT_REQUEST, data.vendorId);
    if (stored) assertSameAccountFields(data.vendorId, stored.data.request.params, data);
  } else {
    const params = await accountRequest(ctx, data);
    // The key makes concurrent or retried calls for one vendor return the same account.
    const account = await callStripe('accounts.create', () =>
      ctx.stripe.accounts.create(params, { idempotencyKey: `account:${data.vendorId}` }),
    );
    vendor = await insertVendor(ctx, data.vendorId, account, 'account_link');
  }
  const accountId = vendor.accountId;
  const link = await callStripe('accountLinks.create', () =>
    ctx.stripe.accountLinks.create({
      account: accountId,
      type: 'account_onboarding',
      return_url: data.returnUrl,
      refresh_url: data.refreshUrl,
    }),
  );
  return { url: link.url, expiresAt: link.expires_at * 1000, accountId };
}

// ---- completeOnboarding ---------------------------------------------------------------------------

/** `completeOnboarding` after an Account Link: re-reads the vendor's account. */
export interface CompleteAccountLinkInput {
  vendorId: string;
}

/**
 * `completeOnboarding` on the OAuth `redirect_uri`: pass the query parameters Stripe sent back.
 * On success they are `code` and `state`; when the user denied access they are `error`,
 * `error_description` and possibly `state`.
 */
export interface CompleteOAuthInput {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
  /** Stripe also sends `scope`; it is accepted and ignored. */
  scope?: string;
  /**
   * Required: the vendor your own session authenticated on the redirect URI. The state is accepted only if
   * it was issued for this vendor, so a leaked authorize URL completed in someone else's browser cannot
   * connect their Stripe account to your vendor.
   */
  expectedVendorId: string;
  /**
   * Replace the vendor's connected account when it has another one already. Without it, completing OAuth
   * for a vendor with a different account is `VENDOR_ACCOUNT_EXISTS` and the stored vendor is unchanged.
   */
  replaceAccount?: boolean;
}

const completeSchema = lazy(() =>
  z.union([
    z.strictObject({ vendorId: idSchema() }),
    z.strictObject({
      code: z.optional(z.string().check(z.minLength(1))),
      state: z.optional(z.string()),
      error: z.optional(z.string()),
      error_description: z.optional(z.string()),
      scope: z.optional(z.string()),
      expectedVendorId: idSchema(),
      replaceAccount: z.optional(z.boolean()),
    }),
  ]),
);

export async function completeOnboarding(
  ctx: Context,
  input: CompleteAccountLinkInput | CompleteOAuthInput,
): Promise<VendorRecord> {
  const given = typeof input === 'object' && input !== null ? (input as unknown as Record<string, unknown>) : null;
  if (given && !('vendorId' in given) && given.expectedVendorId === undefined) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      "completeOnboarding: the OAuth redirect's { code, state } needs expectedVendorId, the vendor your session signed in",
      { details: { param: 'expectedVendorId' } },
    );
  }
  const data = parseWith(completeSchema(), input, 'completeOnboarding');
  if ('vendorId' in data) {
    const vendor = await requireVendor(ctx, data.vendorId);
    return refreshVendor(ctx, vendor, { reconnect: true });
  }
  return completeOAuth(ctx, data);
}

async function completeOAuth(ctx: Context, data: CompleteOAuthInput): Promise<VendorRecord> {
  const now = ctx.now();
  // Consume the state first, whatever else came back, so that it can never be used twice.
  const state = data.state;
  const stored = state
    ? await callStorage('consume the OAuth state', () => ctx.storage.consume<OAuthStateRecord>(OAUTH_STATE.kind, state, now))
    : null;
  const record = stored?.data ?? null;
  if (data.error) {
    throw new MarketplaceError(
      'OAUTH_DENIED',
      `Stripe returned OAuth error "${data.error}"${data.error_description ? `: ${data.error_description}` : ''}`,
      { details: { error: data.error, errorDescription: data.error_description, vendorId: record?.vendorId } },
    );
  }
  if (!data.code) {
    throw new MarketplaceError('INVALID_INPUT', "completeOnboarding: pass { vendorId }, or the OAuth redirect's { code, state }");
  }
  if (!record) {
    throw new MarketplaceError(
      'OAUTH_STATE_INVALID',
      data.state
        ? 'the OAuth state is unknown, expired or already used; start again with oauthAuthorizeUrl'
        : 'the OAuth redirect has no state; start again with oauthAuthorizeUrl',
    );
  }
  if (data.expectedVendorId !== record.vendorId) {
    throw new MarketplaceError(
      'OAUTH_STATE_INVALID',
      'the OAuth state was issued for another vendor than the one signed in; start again with oauthAuthorizeUrl',
      { details: { expectedVendorId: data.expectedVendorId } },
    );
  }
  const code = data.code;
  const token = await callStripe('oauth.token', () => ctx.stripe.oauth.token({ grant_type: 'authorization_code', code }));
  const accountId = token.stripe_user_id;
  if (!accountId) throw new MarketplaceError('STRIPE_ERROR', "Stripe's OAuth token response has no stripe_user_id");
  const account = await callStripe('accounts.retrieve', () => ctx.stripe.accounts.retrieve(accountId));
  const existing = await getVendor(ctx, record.vendorId);
  if (!existing) {
    const inserted = await insertVendor(ctx, record.vendorId, account, 'oauth');
    if (inserted.accountId === accountId) return inserted;
  }
  const vendor = await storeAccountState(ctx, record.vendorId, account, {
    connection: 'oauth',
    reconnect: true,
    replaceAccount: data.replaceAccount === true,
  });
  if (vendor.accountId !== accountId) {
    throw new MarketplaceError(
      'VENDOR_ACCOUNT_EXISTS',
      `vendor "${record.vendorId}" is connected to another account (${vendor.accountId}); pass replaceAccount: true to replace it with ${accountId}`,
      { details: { vendorId: record.vendorId, accountId, existingAccountId: vendor.accountId } },
    );
  }
  return vendor;
}

// ---- OAuth authorize URL --------------------------------------------------------------------------

export interface OAuthAuthorizeUrlInput {
  vendorId: string;
  /** Must be one of the redirect URIs registered in the platform's Connect settings. */
  redirectUri: string;
  /** `read_write` (default) or `read_only`. */
  scope?: 'read_write' | 'read_only';
}

export interface OAuthAuthorizeUrlResult {
  url: string;
  /** The single-use state in the URL, bound to the vendor. */
  state: string;
  /** When the state stops being accepted, in milliseconds since the epoch. */
  expiresAt: number;
}

const authorizeSchema = lazy(() =>
  z.strictObject({
    vendorId: idSchema(),
    redirectUri: webUrlSchema(),
    scope: z.optional(z.enum(['read_write', 'read_only'])),
  }),
);

export async function oauthAuthorizeUrl(ctx: Context, input: OAuthAuthorizeUrlInput): Promise<OAuthAuthorizeUrlResult> {
  const data = parseWith(authorizeSchema(), input, 'oauthAuthorizeUrl');
  const clientId = ctx.oauthClientId ?? ctx.stripe.getClientId();
  if (!clientId) {
    throw new MarketplaceError(
      'INVALID_OPTIONS',
      "oauthAuthorizeUrl needs the platform's Connect client id (ca_...): pass oauth: { clientId } to new Marketplace()",
    );
  }
  const state = randomToken();
  const expiresAt = ctx.now() + ctx.oauthStateTtlMs;
  await insertRecord(ctx.storage, OAUTH_STATE, { state, vendorId: data.vendorId, expiresAt });
  const url = ctx.stripe.oauth.authorizeUrl({
    response_type: 'code',
    client_id: clientId,
    scope: data.scope ?? 'read_write',
    redirect_uri: data.redirectUri,
    state,
  });
  return { url, state, expiresAt };
}

// ---- Express dashboard ----------------------------------------------------------------------------

export async function vendorDashboardLink(ctx: Context, vendorId: unknown): Promise<{ url: string }> {
  const id = parseWith(idSchema(), vendorId, 'vendorDashboardLink(vendorId)');
  const vendor = await requireVendor(ctx, id);
  const link = await callStripe('accounts.createLoginLink', () => ctx.stripe.accounts.createLoginLink(vendor.accountId));
  return { url: link.url };
}
