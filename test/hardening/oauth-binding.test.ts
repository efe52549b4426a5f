import { describe, expect, it } from 'vitest';
import { activeAccount, expectStripe, market } from '../helpers.js';
import { storedVendor } from '../records.js';
import type { MarketplaceStorage } from '../../src/storage/types.js';

// The OAuth flow of Stripe Connect: https://docs.stripe.com/connect/oauth-reference
const CONNECT = 'https://connect.stripe.com';
const redirectUri = 'https://platform.example/oauth/callback';

function oauthMarket() {
  return market({ oauth: { clientId: 'ca_123' }, now: () => 1_000_000 });
}

async function stateIsUsable(storage: MarketplaceStorage, state: string): Promise<boolean> {
  return (await storage.consume('oauth_state', state, 1_000_001)) !== null;
}

/** Connects `accountId` to `vendorId` through OAuth. */
async function connect(m: ReturnType<typeof oauthMarket>['market'], vendorId: string, accountId: string, extra = {}) {
  const { state } = await m.oauthAuthorizeUrl({ vendorId, redirectUri });
  expectStripe('POST', '/oauth/token', { stripe_user_id: accountId }, 200, CONNECT);
  expectStripe('GET', `/v1/accounts/${accountId}`, activeAccount(accountId));
  return m.completeOnboarding({ code: 'ac_1', state, expectedVendorId: vendorId, ...extra });
}

describe('completing an OAuth authorize URL is bound to the signed-in vendor', () => {
  it('refuses { code, state } without expectedVendorId as INVALID_INPUT, before the state is used', async () => {
    const { market: m, storage } = oauthMarket();
    const { state } = await m.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri });
    // No interceptor: a code exchange would fail with a network error instead of INVALID_INPUT.
    await expect(m.completeOnboarding({ code: 'ac_1', state } as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('expectedVendorId'),
    });
    await expect(m.completeOnboarding({ error: 'access_denied', state } as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(await storedVendor(storage, 'driver_42')).toBeNull();
    expect(await stateIsUsable(storage, state)).toBe(true);
  });

  it("refuses to replace an existing vendor's different account with VENDOR_ACCOUNT_EXISTS", async () => {
    const { market: m, storage } = oauthMarket();
    await connect(m, 'driver_42', 'acct_first');
    const error = await connect(m, 'driver_42', 'acct_other').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VENDOR_ACCOUNT_EXISTS',
      details: { vendorId: 'driver_42', accountId: 'acct_other', existingAccountId: 'acct_first' },
    });
    expect(await storedVendor(storage, 'driver_42')).toMatchObject({ accountId: 'acct_first' });
  });

  it('replaces the account when the caller passes replaceAccount: true', async () => {
    const { market: m, storage } = oauthMarket();
    await connect(m, 'driver_42', 'acct_first');
    const vendor = await connect(m, 'driver_42', 'acct_other', { replaceAccount: true });
    expect(vendor).toMatchObject({ vendorId: 'driver_42', accountId: 'acct_other', connection: 'oauth' });
    expect(await storedVendor(storage, 'driver_42')).toMatchObject({ accountId: 'acct_other' });
  });

  it('reconnects the same account without the option', async () => {
    const { market: m } = oauthMarket();
    await connect(m, 'driver_42', 'acct_first');
    await expect(connect(m, 'driver_42', 'acct_first')).resolves.toMatchObject({ accountId: 'acct_first', status: 'active' });
  });
});
