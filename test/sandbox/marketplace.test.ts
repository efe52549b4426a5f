import { describe, expect, it } from 'vitest';
import { Marketplace, isMarketplaceError, memoryStorage, percentage } from '../../src/index.js';
import { createSandbox } from '../../src/testing/index.js';

function market(options: { oauth?: boolean } = {}) {
  const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
  const stripe = sandbox.stripe();
  const marketplace = new Marketplace({
    stripe,
    storage: memoryStorage(),
    commission: percentage(12),
    ...(options.oauth ? { oauth: { clientId: 'ca_sandbox' } } : {}),
  });
  return { sandbox, stripe, marketplace };
}

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

describe('Marketplace against the sandbox', () => {
  it('onboardVendor creates one Express-like account with the vendor id and returns a sandbox-served link', async () => {
    const { sandbox, stripe, marketplace } = market();
    const first = await marketplace.onboardVendor({ vendorId: 'driver_42', country: 'GB', email: 'd@example.com', ...urls });
    const second = await marketplace.onboardVendor({ vendorId: 'driver_42', ...urls });
    expect(second.accountId).toBe(first.accountId);
    expect(second.url).not.toBe(first.url);
    const account = await stripe.accounts.retrieve(first.accountId);
    expect(account).toMatchObject({
      type: 'express',
      country: 'GB',
      metadata: { vendor_id: 'driver_42' },
      capabilities: { transfers: 'inactive' },
    });
    expect((await stripe.accounts.list()).data).toHaveLength(1);
    expect((await sandbox.fetch(new Request(first.url))).status).toBe(200);
    expect((await sandbox.fetch(new Request(second.url))).status).toBe(200);
    expect((await sandbox.fetch(new Request(first.url))).headers.get('location')).toBe(urls.refreshUrl);
  });

  it('completeOnboarding reads "onboarding" before the vendor finishes and "active" after the hosted form', async () => {
    const { sandbox, marketplace } = market();
    const { url } = await marketplace.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    const before = await marketplace.completeOnboarding({ vendorId: 'driver_42' });
    expect(before.status).toBe('onboarding');
    expect(before.requirements.currentlyDue).toContain('external_account');
    await sandbox.fetch(new Request(url));
    const redirect = await sandbox.fetch(
      new Request(url, {
        method: 'POST',
        body: 'action=complete',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(redirect.headers.get('location')).toBe(urls.returnUrl);
    const after = await marketplace.completeOnboarding({ vendorId: 'driver_42' });
    expect(after).toMatchObject({
      status: 'active',
      transfersCapability: 'active',
      payoutsEnabled: true,
      detailsSubmitted: true,
    });
  });

  it('createCheckout refuses a vendor who has not finished, then creates one destination charge per order', async () => {
    const { sandbox, stripe, marketplace } = market();
    const { accountId } = await marketplace.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    const refused = await marketplace
      .createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' })
      .catch((e: unknown) => e);
    expect(isMarketplaceError(refused, 'VENDOR_NOT_READY')).toBe(true);
    sandbox.completeOnboarding(accountId);
    const checkout = await marketplace.createCheckout({
      orderId: 'order_2',
      vendorId: 'driver_42',
      amount: 2000,
      currency: 'gbp',
    });
    expect(checkout).toMatchObject({ mode: 'embedded', amount: 2000, applicationFeeAmount: 240, vendorAmount: 1760, accountId });
    const repeat = await marketplace.createCheckout({ orderId: 'order_2', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    expect(repeat.paymentIntentId).toBe(checkout.paymentIntentId);
    const intent = await stripe.paymentIntents.retrieve(checkout.paymentIntentId);
    expect(intent).toMatchObject({
      application_fee_amount: 240,
      transfer_data: { destination: accountId },
      metadata: { order_id: 'order_2', vendor_id: 'driver_42' },
    });
    const paid = await stripe.paymentIntents.confirm(intent.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    expect(paid.status).toBe('succeeded');
    expect(sandbox.balances()).toEqual([
      { account: 'platform', currency: 'gbp', available: 240 },
      { account: accountId, currency: 'gbp', available: 1760 },
    ]);
  });

  it('an order id keeps its payment even if the process retries after Stripe answered (idempotency key)', async () => {
    const { sandbox, stripe, marketplace } = market();
    const { accountId } = await marketplace.onboardVendor({ vendorId: 'driver_42', ...urls });
    sandbox.completeOnboarding(accountId);
    await marketplace.createCheckout({ orderId: 'order_3', vendorId: 'driver_42', amount: 1500, currency: 'gbp' });
    const replayed = await stripe.paymentIntents.create(
      {
        amount: 1500,
        currency: 'gbp',
        application_fee_amount: 180,
        transfer_data: { destination: accountId },
        automatic_payment_methods: { enabled: true },
        metadata: { order_id: 'order_3', vendor_id: 'driver_42' },
      },
      { idempotencyKey: 'checkout:order_3' },
    );
    expect((await stripe.paymentIntents.list()).data.map((p) => p.id)).toEqual([replayed.id]);
  });

  it('hosted checkout: a Checkout Session the customer pays on the sandbox page', async () => {
    const { sandbox, stripe, marketplace } = market();
    const { accountId } = await marketplace.onboardVendor({ vendorId: 'driver_42', ...urls });
    sandbox.completeOnboarding(accountId);
    const input = {
      mode: 'hosted',
      orderId: 'order_4',
      vendorId: 'driver_42',
      currency: 'gbp',
      lineItems: [{ name: 'Ride', unitAmount: 2000, quantity: 1 }],
      successUrl: 'https://market.example/ok',
      cancelUrl: 'https://market.example/cancel',
    } as const;
    const hosted = await marketplace.createCheckout({ ...input, lineItems: [...input.lineItems] });
    expect(hosted).toMatchObject({ mode: 'hosted', applicationFeeAmount: 240, paymentIntentId: null });
    const paid = await sandbox.fetch(
      new Request(hosted.url as string, {
        method: 'POST',
        body: 'card_number=4242424242424242',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    expect(paid.headers.get('location')).toBe('https://market.example/ok');
    const session = await stripe.checkout.sessions.retrieve(hosted.sessionId);
    expect(session).toMatchObject({ payment_status: 'paid', client_reference_id: 'order_4' });
    const again = await marketplace.createCheckout({ ...input, lineItems: [...input.lineItems] });
    expect(again).toMatchObject({ url: null, paymentIntentId: session.payment_intent });
  });

  it('legacy OAuth: a minted code completes onboarding with the state check', async () => {
    const { sandbox, marketplace } = market({ oauth: true });
    const { state } = await marketplace.oauthAuthorizeUrl({ vendorId: 'shop_7', redirectUri: 'https://market.example/oauth' });
    const { code, accountId } = sandbox.createOAuthCode();
    const vendor = await marketplace.completeOnboarding({ code, state, expectedVendorId: 'shop_7' });
    expect(vendor).toMatchObject({ vendorId: 'shop_7', accountId, connection: 'oauth', status: 'active' });
    const reused = await marketplace.completeOnboarding({ code, state, expectedVendorId: 'shop_7' }).catch((e: unknown) => e);
    expect(isMarketplaceError(reused, 'OAUTH_STATE_INVALID')).toBe(true);
  });

  it('vendorDashboardLink returns a single-use login link', async () => {
    const { sandbox, marketplace } = market();
    const { accountId } = await marketplace.onboardVendor({ vendorId: 'driver_42', ...urls });
    sandbox.completeOnboarding(accountId);
    const { url } = await marketplace.vendorDashboardLink('driver_42');
    expect((await sandbox.fetch(new Request(url))).status).toBe(200);
    expect((await sandbox.fetch(new Request(url))).status).toBe(404);
  });
});
