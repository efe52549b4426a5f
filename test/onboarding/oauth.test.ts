import { storedVendor, resolved } from '../records.js';
import type { MarketplaceStorage } from '../../src/storage/types.js';

/** Consumes an OAuth state through the storage port, as the library does; its data, or null. */
async function consumed(storage: MarketplaceStorage, state: string, now: number) {
  return (await storage.consume('oauth_state', state, now))?.data ?? null;
}
import { describe, expect, it } from 'vitest';
import { activeAccount, expectStripe, market, testStripe } from '../helpers.js';
import { memoryStorage } from '../../src/storage/memory.js';
import { Marketplace } from '../../src/marketplace.js';
import { percentage } from '../../src/core/money/commission.js';

const CONNECT = 'https://connect.stripe.com';
const redirectUri = 'https://platform.example/oauth/callback';

function oauthMarket(now = () => 1_000_000) {
  return market({ oauth: { clientId: 'ca_123' }, now });
}

describe('oauthAuthorizeUrl', () => {
  it("returns Stripe's authorize URL with a random state bound to the vendor", async () => {
    const { market: m, storage } = oauthMarket();
    const a = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    const b = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri, scope: 'read_only' });
    const url = new URL(a.url);
    expect(url.origin + url.pathname).toBe('https://connect.stripe.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'ca_123',
      scope: 'read_write',
      redirect_uri: redirectUri,
      state: a.state,
    });
    expect(new URL(b.url).searchParams.get('scope')).toBe('read_only');
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    expect(a.state).not.toBe(b.state);
    expect(a.expiresAt).toBe(1_000_000 + 600_000);
    expect(await consumed(storage, a.state, 1_000_001)).toMatchObject({ vendorId: 'driver_42' });
  });

  it('needs a Connect client id', async () => {
    const { market: m } = market();
    await expect(m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('refuses bad input', async () => {
    const { market: m } = oauthMarket();
    await expect(m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri, scope: 'admin' as never })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

describe('completeOnboarding({ code, state })', () => {
  it('consumes the state, exchanges the code and stores the account for that vendor', async () => {
    const { market: m, storage } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    const token = expectStripe(
      'POST',
      '/oauth/token',
      { stripe_user_id: 'acct_std', scope: 'read_write', livemode: false, token_type: 'bearer' },
      200,
      CONNECT,
    );
    expectStripe('GET', '/v1/accounts/acct_std', activeAccount('acct_std'));

    const vendor = await m.completeOnboarding({ code: 'ac_123', state, scope: 'read_write', expectedVendorId: 'driver_42' });
    expect(token.calls[0]!.form).toEqual({ grant_type: 'authorization_code', code: 'ac_123' });
    expect(vendor).toMatchObject({ vendorId: 'driver_42', accountId: 'acct_std', connection: 'oauth', status: 'active' });
    expect(await resolved(storage, 'acct_std')).toMatchObject({ vendorId: 'driver_42' });
  });

  it('gives OAUTH_STATE_INVALID for a replayed state, with no code exchange', async () => {
    const { market: m } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    expectStripe('POST', '/oauth/token', { stripe_user_id: 'acct_std' }, 200, CONNECT);
    expectStripe('GET', '/v1/accounts/acct_std', activeAccount('acct_std'));
    await m.completeOnboarding({ code: 'ac_123', state, expectedVendorId: 'driver_42' });
    // No interceptor is left: a second exchange would fail the test with a network error instead.
    await expect(m.completeOnboarding({ code: 'ac_123', state, expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });

  it('refuses a state issued for another vendor than the signed-in one, with no code exchange, and burns it', async () => {
    const { market: m, storage } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    await expect(m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: 'driver_7' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
      message: expect.stringContaining('another vendor'),
    });
    expect(await storedVendor(storage, 'driver_42')).toBeNull();
    await expect(m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });

  it('accepts the state for the signed-in vendor', async () => {
    const { market: m } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    expectStripe('POST', '/oauth/token', { stripe_user_id: 'acct_std' }, 200, CONNECT);
    expectStripe('GET', '/v1/accounts/acct_std', activeAccount('acct_std'));
    const vendor = await m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: 'driver_42' });
    expect(vendor).toMatchObject({ vendorId: 'driver_42', accountId: 'acct_std' });
  });

  it('gives OAUTH_STATE_INVALID for an expired or unknown state, or none', async () => {
    let now = 1_000_000;
    const { market: m } = oauthMarket(() => now);
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    now += 600_000; // exactly at expiry: no longer valid
    await expect(m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
    await expect(m.completeOnboarding({ code: 'ac_1', state: 'made-up', expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
    await expect(m.completeOnboarding({ code: 'ac_1', expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_STATE_INVALID',
    });
  });

  it('lets exactly one of 50 concurrent completions exchange the code', async () => {
    const { market: m } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    const token = expectStripe('POST', '/oauth/token', { stripe_user_id: 'acct_std' }, 200, CONNECT);
    expectStripe('GET', '/v1/accounts/acct_std', activeAccount('acct_std'));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: 'driver_42' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(49);
    expect(rejected.every((r) => r.reason.code === 'OAUTH_STATE_INVALID')).toBe(true);
    expect(token.calls).toHaveLength(1);
  });

  it('turns a denied authorization into OAUTH_DENIED and burns the state', async () => {
    const { market: m, storage } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    await expect(
      m.completeOnboarding({
        error: 'access_denied',
        error_description: 'The user denied your request',
        state,
        expectedVendorId: 'driver_42',
      }),
    ).rejects.toMatchObject({
      code: 'OAUTH_DENIED',
      message: expect.stringContaining('The user denied your request'),
      details: { vendorId: 'driver_42' },
    });
    expect(await consumed(storage, state, 1_000_001)).toBeNull();
    // Stripe may omit state on a denial: still a clear error.
    await expect(m.completeOnboarding({ error: 'access_denied', expectedVendorId: 'driver_42' })).rejects.toMatchObject({
      code: 'OAUTH_DENIED',
    });
  });

  it('wraps a failed code exchange as STRIPE_ERROR', async () => {
    const { market: m, storage } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    expectStripe(
      'POST',
      '/oauth/token',
      { error: 'invalid_grant', error_description: 'Authorization code does not exist: ac_bad' },
      400,
      CONNECT,
    );
    const error = await m.completeOnboarding({ code: 'ac_bad', state, expectedVendorId: 'driver_42' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'STRIPE_ERROR', message: expect.stringContaining('ac_bad') });
    expect(await storedVendor(storage, 'driver_42')).toBeNull();
  });

  it("uses the Stripe client's clientId when no oauth option is given", async () => {
    const stripe = testStripe();
    stripe.setClientId?.('ca_from_client');
    const m = new Marketplace({ stripe, storage: memoryStorage(), commission: percentage(10) });
    const { url } = await m.oauthAuthorizeUrl({ vendorId: 'v', redirectUri });
    expect(new URL(url).searchParams.get('client_id')).toBe('ca_from_client');
  });
});
