import { storedVendor } from '../records.js';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { API, account, activeAccount, expectStripe, market } from '../helpers.js';

const returnUrl = 'https://platform.example/onboarding/return';
const refreshUrl = 'https://platform.example/onboarding/refresh';

function link(url = 'https://connect.stripe.com/setup/e/acct_1/abc') {
  return { object: 'account_link', created: 1_700_000_000, expires_at: 1_700_000_300, url };
}

describe('onboardVendor', () => {
  it('creates an Express-dashboard account once, with an idempotency key, and returns a fresh link', async () => {
    const { market: m, storage } = market();
    const create = expectStripe('POST', '/v1/accounts', account({ id: 'acct_1' }));
    const links = expectStripe('POST', '/v1/account_links', link());

    const result = await m.onboardVendor({
      vendorId: 'driver_42',
      country: 'gb',
      email: 'driver@example.com',
      businessProfile: { name: 'Ada Cabs', mcc: '4121' },
      returnUrl,
      refreshUrl,
    });

    expect(result).toEqual({
      url: 'https://connect.stripe.com/setup/e/acct_1/abc',
      expiresAt: 1_700_000_300_000,
      accountId: 'acct_1',
    });
    expect(create.calls).toHaveLength(1);
    expect(create.calls[0]!.form).toEqual({
      'controller[stripe_dashboard][type]': 'express',
      'controller[fees][payer]': 'application',
      'controller[losses][payments]': 'application',
      'controller[requirement_collection]': 'stripe',
      'capabilities[transfers][requested]': 'true',
      'metadata[vendor_id]': 'driver_42',
      country: 'GB',
      email: 'driver@example.com',
      'business_profile[name]': 'Ada Cabs',
      'business_profile[mcc]': '4121',
    });
    expect(create.calls[0]!.headers['idempotency-key']).toBe('account:driver_42');
    expect(links.calls[0]!.form).toEqual({
      account: 'acct_1',
      type: 'account_onboarding',
      return_url: returnUrl,
      refresh_url: refreshUrl,
    });
    // The mapping is stored before the call returns.
    expect(await storedVendor(storage, 'driver_42')).toMatchObject({
      accountId: 'acct_1',
      status: 'onboarding',
      connection: 'account_link',
    });
  });

  it('reuses the stored account on the next call and mints a new link', async () => {
    const { market: m } = market();
    expectStripe('POST', '/v1/accounts', account());
    expectStripe('POST', '/v1/account_links', link('https://connect.stripe.com/setup/e/acct_1/first'));
    await m.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl });

    const second = expectStripe('POST', '/v1/account_links', link('https://connect.stripe.com/setup/e/acct_1/second'));
    const again = await m.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl });
    expect(again.url).toBe('https://connect.stripe.com/setup/e/acct_1/second');
    expect(second.calls[0]!.form.account).toBe('acct_1');
    // No second POST /v1/accounts was intercepted: nock would have thrown on the unmatched request.
  });

  it('ends with exactly one account when called concurrently for one vendor', async () => {
    const { market: m, storage } = market();
    // Stripe answers the same idempotency key with the same account; the test lets every create through.
    const creates = expectStripe('POST', '/v1/accounts', account({ id: 'acct_same' }));
    creates.scope.persist();
    const links = expectStripe('POST', '/v1/account_links', link());
    links.scope.persist();

    const results = await Promise.all(
      Array.from({ length: 10 }, () => m.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl })),
    );
    expect(new Set(results.map((r) => r.accountId))).toEqual(new Set(['acct_same']));
    expect(new Set(creates.calls.map((c) => c.headers['idempotency-key']))).toEqual(new Set(['account:driver_42']));
    expect(await storedVendor(storage, 'driver_42')).toMatchObject({ accountId: 'acct_same' });
    nock.cleanAll();
  });

  it.each([
    [{ vendorId: '', returnUrl, refreshUrl }, /vendorId must not be empty/],
    [{ vendorId: 'x', returnUrl: 'not a url', refreshUrl }, /returnUrl/],
    [{ vendorId: 'x', returnUrl }, /refreshUrl is required/],
    [{ vendorId: 'x', returnUrl, refreshUrl, country: 'GBR' }, /country/],
    [{ vendorId: 'x', returnUrl, refreshUrl, email: 'nope' }, /email/],
    [{ vendorId: 'x', returnUrl, refreshUrl, returnURL: returnUrl }, /unknown key "returnURL"/],
    [{ vendorId: 'has space', returnUrl, refreshUrl }, /vendorId/],
    [{ vendorId: 'x'.repeat(201), returnUrl, refreshUrl }, /at most 200/],
  ])('refuses bad input %# before any request', async (input, message) => {
    const { market: m } = market();
    await expect(m.onboardVendor(input as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(message),
    });
  });

  it('wraps a Stripe refusal as STRIPE_ERROR and stores nothing', async () => {
    const { market: m, storage } = market();
    expectStripe(
      'POST',
      '/v1/accounts',
      { error: { type: 'invalid_request_error', message: 'Country XX is unsupported', param: 'country' } },
      400,
    );
    const error = await m.onboardVendor({ vendorId: 'driver_42', country: 'XX', returnUrl, refreshUrl }).catch((e) => e);
    expect(error).toMatchObject({
      code: 'STRIPE_ERROR',
      statusCode: 400,
      message: expect.stringContaining('Country XX is unsupported'),
    });
    expect(error.cause).toMatchObject({ type: 'StripeInvalidRequestError', param: 'country' });
    expect(await storedVendor(storage, 'driver_42')).toBeNull();
  });
});

describe('completeOnboarding({ vendorId })', () => {
  async function onboarded() {
    const setup = market();
    expectStripe('POST', '/v1/accounts', account());
    expectStripe('POST', '/v1/account_links', link());
    await setup.market.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl });
    return setup;
  }

  it('re-reads the account and stores the mapped state', async () => {
    const { market: m, storage } = await onboarded();
    const retrieve = expectStripe('GET', '/v1/accounts/acct_1', activeAccount());
    const vendor = await m.completeOnboarding({ vendorId: 'driver_42' });
    expect(retrieve.calls).toHaveLength(1);
    expect(vendor).toMatchObject({
      vendorId: 'driver_42',
      accountId: 'acct_1',
      status: 'active',
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      transfersCapability: 'active',
      requirements: { currentlyDue: [], pastDue: [], disabledReason: null },
    });
    expect(await storedVendor(storage, 'driver_42')).toEqual(vendor);
  });

  it('reports what Stripe still needs when the vendor left early', async () => {
    const { market: m } = await onboarded();
    expectStripe('GET', '/v1/accounts/acct_1', account());
    const vendor = await m.completeOnboarding({ vendorId: 'driver_42' });
    expect(vendor.status).toBe('onboarding');
    expect(vendor.requirements.currentlyDue).toEqual(['external_account', 'individual.dob.day']);
    expect(vendor.requirements.disabledReason).toBe('requirements.past_due');
  });

  it('is VENDOR_NOT_FOUND for an unknown vendor, with no request', async () => {
    const { market: m } = market();
    await expect(m.completeOnboarding({ vendorId: 'ghost' })).rejects.toMatchObject({ code: 'VENDOR_NOT_FOUND' });
  });

  it('refuses mixed or unknown input', async () => {
    const { market: m } = market();
    await expect(m.completeOnboarding({ vendorId: 'a', code: 'x' } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(m.completeOnboarding({} as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(m.completeOnboarding(null as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('vendorDashboardLink', () => {
  it('creates a single-use login link every time and stores nothing', async () => {
    const { market: m, storage } = market();
    expectStripe('POST', '/v1/accounts', account());
    expectStripe('POST', '/v1/account_links', link());
    await m.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl });
    const before = await storedVendor(storage, 'driver_42');

    const first = expectStripe('POST', '/v1/accounts/acct_1/login_links', {
      object: 'login_link',
      created: 1,
      url: 'https://connect.stripe.com/express/a',
    });
    const second = expectStripe('POST', '/v1/accounts/acct_1/login_links', {
      object: 'login_link',
      created: 2,
      url: 'https://connect.stripe.com/express/b',
    });
    expect(await m.vendorDashboardLink('driver_42')).toEqual({ url: 'https://connect.stripe.com/express/a' });
    expect(await m.vendorDashboardLink('driver_42')).toEqual({ url: 'https://connect.stripe.com/express/b' });
    expect(first.calls).toHaveLength(1);
    expect(second.calls).toHaveLength(1);
    expect(await storedVendor(storage, 'driver_42')).toEqual(before);
  });

  it('refuses an unknown vendor and a bad id before any request', async () => {
    const { market: m } = market();
    await expect(m.vendorDashboardLink('ghost')).rejects.toMatchObject({ code: 'VENDOR_NOT_FOUND' });
    await expect(m.vendorDashboardLink(42 as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('re-reads of one account', () => {
  it('run one after another, so a slow older answer cannot overwrite a newer one', async () => {
    const { market: m, storage } = market();
    expectStripe('POST', '/v1/accounts', account());
    expectStripe('POST', '/v1/account_links', link());
    await m.onboardVendor({ vendorId: 'driver_42', returnUrl, refreshUrl });
    // The first re-read is slow and sees the old state; the second is fast and sees the account active.
    nock(API).get('/v1/accounts/acct_1').delay(200).reply(200, account());
    nock(API).get('/v1/accounts/acct_1').reply(200, activeAccount());
    const [first, second] = await Promise.all([
      m.completeOnboarding({ vendorId: 'driver_42' }),
      m.completeOnboarding({ vendorId: 'driver_42' }),
    ]);
    expect(first.status).toBe('onboarding');
    expect(second.status).toBe('active');
    expect((await storedVendor(storage, 'driver_42'))?.status).toBe('active');
  });
});
