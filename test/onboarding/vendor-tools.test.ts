import { describe, expect, it, vi } from 'vitest';
import { isMarketplaceError, type MarketplaceErrorCode } from '../../src/index.js';
import { completeHostedOnboarding, type World, world } from '../world.js';

/**
 * The customer portal, wallet domains and Connect embedded components' account sessions, against the sandbox.
 */

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

async function onboarded(w: World, vendorId = 'driver_42') {
  const { url, accountId } = await w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.market.completeOnboarding({ vendorId });
  return accountId;
}

async function codeOf(promise: Promise<unknown>): Promise<MarketplaceErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isMarketplaceError(error)) return error.code;
    throw error;
  }
}

describe('customerPortalLink', () => {
  // https://docs.stripe.com/api/customer_portal/sessions/create: customer and return_url; the session's URL.
  it("returns the portal session's URL, where the customer sees their subscriptions", async () => {
    const w = world();
    const accountId = await onboarded(w);
    const customer = await w.stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const product = await w.stripe.products.create({ name: 'Pass' });
    const sub = await w.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 900, recurring: { interval: 'month' } } }],
      transfer_data: { destination: accountId },
    });
    const create = vi.spyOn(w.stripe.billingPortal.sessions, 'create');
    const first = await w.market.customerPortalLink({ customer: customer.id, returnUrl: 'https://market.example/account' });
    const second = await w.market.customerPortalLink({ customer: customer.id, returnUrl: 'https://market.example/account' });
    // A session is for one visit: each call makes a new one, without an idempotency key that would return the old one.
    expect(first.url).not.toBe(second.url);
    expect(create).toHaveBeenCalledTimes(2);
    expect(create.mock.calls[0]).toEqual([{ customer: customer.id, return_url: 'https://market.example/account' }]);
    const page = await w.sandbox.fetch(new Request(first.url));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(sub.id);
    expect(html).toContain('https://market.example/account');
  });

  it('refuses a customer that is not a cus_ id, a return URL that is not https, and unknown keys, before Stripe', async () => {
    const w = world();
    const create = vi.spyOn(w.stripe.billingPortal.sessions, 'create');
    const returnUrl = 'https://market.example/account';
    expect(await codeOf(w.market.customerPortalLink({ customer: 'driver_42', returnUrl }))).toBe('INVALID_INPUT');
    expect(await codeOf(w.market.customerPortalLink({ customer: 'cus_1', returnUrl: 'http://market.example/a' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(w.market.customerPortalLink({ customer: 'cus_1', returnUrl: 'javascript:alert(1)' }))).toBe(
      'INVALID_INPUT',
    );
    expect(await codeOf(w.market.customerPortalLink({ customer: 'cus_1', returnUrl, configuration: 'x' }))).toBe('INVALID_INPUT');
    expect(await codeOf(w.market.customerPortalLink({ customer: 'cus_1', returnUrl, flow: 'x' } as never))).toBe('INVALID_INPUT');
    expect(await codeOf(w.market.customerPortalLink(undefined as never))).toBe('INVALID_INPUT');
    expect(create).not.toHaveBeenCalled();
    // http: on localhost is accepted, as for every other URL Stripe sends a browser to.
    expect(
      await codeOf(w.market.customerPortalLink({ customer: 'cus_missing', returnUrl: 'http://localhost:3000/account' })),
    ).toBe('STRIPE_ERROR');
    expect(create).toHaveBeenCalledTimes(1);
  });
});

describe('registerPaymentDomain', () => {
  // https://docs.stripe.com/payments/payment-methods/pmd-registration and
  // https://docs.stripe.com/api/payment_method_domains/create: a domain is registered on the platform, or with the
  // Stripe-Account header on the connected account that is the merchant of record.
  it('registers a domain on the platform and on a vendor account, each on its own account', async () => {
    const w = world();
    const accountId = await onboarded(w);
    const platform = await w.market.registerPaymentDomain('Shop.Example.com');
    expect(platform).toMatchObject({
      domain: 'shop.example.com',
      accountId: null,
      enabled: true,
      applePay: { status: 'active' },
      googlePay: { status: 'active' },
      created: true,
    });
    expect(platform.id).toMatch(/^pmd_/);
    const vendor = await w.market.registerPaymentDomain('driver42.example.com', { vendorId: 'driver_42' });
    expect(vendor).toMatchObject({ domain: 'driver42.example.com', accountId, created: true });

    const onPlatform = await w.stripe.paymentMethodDomains.list();
    expect(onPlatform.data.map((d) => d.domain_name)).toEqual(['shop.example.com']);
    const onVendor = await w.stripe.paymentMethodDomains.list({}, { stripeAccount: accountId });
    expect(onVendor.data.map((d) => d.id)).toEqual([vendor.id]);
  });

  it('returns the existing registration when a domain is registered again, and enables it again if disabled', async () => {
    const w = world();
    await onboarded(w);
    const first = await w.market.registerPaymentDomain('shop.example.com');
    const again = await w.market.registerPaymentDomain('SHOP.example.com');
    expect(again).toEqual({ ...first, created: false });
    await w.stripe.paymentMethodDomains.update(first.id, { enabled: false });
    const enabled = await w.market.registerPaymentDomain('shop.example.com');
    expect(enabled).toMatchObject({ id: first.id, enabled: true, created: false });
    // The same domain on a vendor's account is a registration of its own.
    const vendor = await w.market.registerPaymentDomain('shop.example.com', { vendorId: 'driver_42' });
    expect(vendor.created).toBe(true);
    expect(vendor.id).not.toBe(first.id);
    expect((await w.stripe.paymentMethodDomains.list()).data).toHaveLength(1);
  });

  it('creates one registration when two calls race, through an idempotency key of the account and domain', async () => {
    const w = world();
    await onboarded(w);
    const create = vi.spyOn(w.stripe.paymentMethodDomains, 'create');
    const [a, b] = await Promise.all([
      w.market.registerPaymentDomain('shop.example.com', { vendorId: 'driver_42' }),
      w.market.registerPaymentDomain('shop.example.com', { vendorId: 'driver_42' }),
    ]);
    expect(a.id).toBe(b.id);
    expect(create.mock.calls.length).toBeGreaterThan(0);
    for (const call of create.mock.calls) {
      expect(call[1]).toMatchObject({ idempotencyKey: 'payment-method-domain:vendor:driver_42:shop.example.com' });
    }
  });

  it('refuses what is not a domain name, and an unknown vendor, before Stripe', async () => {
    const w = world();
    const create = vi.spyOn(w.stripe.paymentMethodDomains, 'create');
    const list = vi.spyOn(w.stripe.paymentMethodDomains, 'list');
    for (const bad of [
      'https://shop.example.com',
      'shop.example.com/pay',
      'shop.example.com:443',
      'localhost',
      '127.0.0.1',
      '-shop.example.com',
      'shop..example.com',
      '',
      ' shop.example.com',
      `${'a'.repeat(64)}.example.com`,
      42,
    ]) {
      expect(await codeOf(w.market.registerPaymentDomain(bad as string)), String(bad)).toBe('INVALID_INPUT');
    }
    expect(await codeOf(w.market.registerPaymentDomain('shop.example.com', { vendorId: 'nobody' }))).toBe('VENDOR_NOT_FOUND');
    expect(await codeOf(w.market.registerPaymentDomain('shop.example.com', { account: 'acct_1' } as never))).toBe(
      'INVALID_INPUT',
    );
    expect(create).not.toHaveBeenCalled();
    expect(list).not.toHaveBeenCalled();
  });
});

describe('vendorSession', () => {
  // https://docs.stripe.com/api/account_sessions/create: an account and its components, each enabled with its features;
  // the session's client_secret and expires_at.
  it("returns an Account Session's client secret for the vendor's account with the chosen components", async () => {
    const now = Date.UTC(2026, 5, 1);
    const w = world({ now: () => now });
    const { accountId } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    const create = vi.spyOn(w.stripe.accountSessions, 'create');
    // Embedded onboarding works before the vendor is ready: that is what it is for.
    const session = await w.market.vendorSession({
      vendorId: 'driver_42',
      components: { account_onboarding: true, payouts: { features: { instant_payouts: false, edit_payout_schedule: true } } },
    });
    expect(session.accountId).toBe(accountId);
    expect(session.clientSecret).toMatch(/^accs_secret__/);
    expect(session.expiresAt).toBeGreaterThan(Date.now());
    expect(create.mock.calls[0]).toEqual([
      {
        account: accountId,
        components: {
          account_onboarding: { enabled: true },
          payouts: { enabled: true, features: { instant_payouts: false, edit_payout_schedule: true } },
        },
      },
    ]);
    const stripeSession = await create.mock.results[0]?.value;
    expect(stripeSession.components.payments.enabled).toBe(false);
    expect(stripeSession.components.account_onboarding.enabled).toBe(true);
    // https://docs.stripe.com/changelog/dahlia/2026-03-25/relaxed_external_account_collection_account_session: no
    // external account collection while Stripe user authentication stays on.
    const noBank = await w.market.vendorSession({
      vendorId: 'driver_42',
      components: {
        account_onboarding: { features: { external_account_collection: false, disable_stripe_user_authentication: false } },
      },
    });
    expect(noBank.clientSecret).toMatch(/^accs_secret__/);
    // Single-use secrets: a second call is a second session.
    const again = await w.market.vendorSession({ vendorId: 'driver_42', components: { payments: true } });
    expect(again.clientSecret).not.toBe(session.clientSecret);
  });

  it('refuses unknown components and features, impossible features, no component, and an unknown vendor, before Stripe', async () => {
    const w = world();
    await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    const create = vi.spyOn(w.stripe.accountSessions, 'create');
    const session = (components: unknown, vendorId = 'driver_42') =>
      codeOf(w.market.vendorSession({ vendorId, components } as never));
    expect(await session({ onboarding: true })).toBe('INVALID_INPUT');
    expect(await session({ payments: { features: { instant_payouts: true } } })).toBe('INVALID_INPUT');
    expect(await session({ payouts: { enabled: true } })).toBe('INVALID_INPUT');
    expect(await session({ payouts: false })).toBe('INVALID_INPUT');
    expect(await session({ payouts_list: { features: { anything: true } } })).toBe('INVALID_INPUT');
    expect(await session({})).toBe('INVALID_INPUT');
    expect(await session(undefined)).toBe('INVALID_INPUT');
    // https://docs.stripe.com/api/account_sessions/create: disable_stripe_user_authentication "can only be true for
    // accounts where controller.requirement_collection is application"; this library's accounts have Stripe collect them.
    expect(await session({ account_onboarding: { features: { disable_stripe_user_authentication: true } } })).toBe(
      'INVALID_INPUT',
    );
    // It defaults to the opposite of external_account_collection: false alone turns authentication off too.
    expect(await session({ payouts: { features: { external_account_collection: false } } })).toBe('INVALID_INPUT');
    expect(await session({ account_onboarding: true }, 'nobody')).toBe('VENDOR_NOT_FOUND');
    expect(create).not.toHaveBeenCalled();
  });
});
