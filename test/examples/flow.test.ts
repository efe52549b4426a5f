import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import { pages } from '../../examples/shared/routes.js';
import { createExample } from '../../examples/shared/setup.js';
import {
  activeDriver,
  type Framework,
  type RunningExample,
  formAction,
  get,
  post,
  registerWebhooks,
  startExample,
  startSandbox,
  tempDataDir,
  textOf,
} from './harness.js';

// Each test starts example servers on PGlite, which takes seconds on a busy machine.
vi.setConfig({ testTimeout: 90_000 });

describe.each<Framework>(['express', 'fastify'])('the %s example, over HTTP against the sandbox', (framework) => {
  let sandbox: StripeSandbox | undefined;
  let app: RunningExample | undefined;
  let data: ReturnType<typeof tempDataDir> | undefined;

  afterEach(async () => {
    await app?.stop();
    await sandbox?.close();
    data?.remove();
  });

  it('onboards a driver, takes a payment and shows it paid only after the webhook', async () => {
    sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    data = tempDataDir();
    app = await startExample(framework, sandbox, data.dir);
    registerWebhooks(sandbox, app.baseUrl);
    const base = app.baseUrl;

    // Vendor side: sign up, get sent to Stripe's onboarding, finish it, come back.
    const signup = await post(`${base}/vendors`, { name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(signup.status).toBe(303);
    const onboardingUrl = signup.location!;
    expect(onboardingUrl).toContain('/connect/onboarding/');
    const onboardingPage = await get(onboardingUrl);
    expect(onboardingPage.status).toBe(200);
    const finished = await post(formAction(onboardingPage.text, onboardingUrl), { action: 'complete' });
    expect(finished.status).toBe(303);
    expect(finished.location).toMatch(new RegExp(`^${base}/vendors/ada-lovelace-[0-9a-f]{8}/return$`));
    // The driver pages answer only the browser that signed up as that driver.
    expect((await get(finished.location!)).status).toBe(403);
    const vendorId = /\/vendors\/([^/]+)\/return$/.exec(finished.location!)![1]!;
    expect((await get(`${base}/vendors/${vendorId}/onboard`)).status).toBe(403);
    expect((await get(`${base}/vendors/${vendorId}/refresh`, 'vendor_session=someone-else.forged')).status).toBe(403);
    expect(signup.cookie).toMatch(/^vendor_session=/);
    const vendorPage = await get(finished.location!, signup.cookie!);
    expect(textOf(vendorPage.text, 'vendor-status')).toBe('active');

    // Customer side: the shop lists the driver; buying redirects to the hosted checkout.
    const shop = await get(`${base}/shop`);
    expect(/name="vendorId" value="([^"]+)"/.exec(shop.text)![1]).toBe(vendorId);
    const orderId = /name="orderId" value="([^"]+)"/.exec(shop.text)![1]!;
    const buy = await post(`${base}/orders`, { vendorId, orderId });
    expect(buy.status).toBe(303);
    const checkoutUrl = buy.location!;
    expect(checkoutUrl).toContain('/checkout/cs_');
    const checkoutPage = await get(checkoutUrl);
    expect(checkoutPage.text).toContain('20.00');
    const paid = await post(formAction(checkoutPage.text, checkoutUrl), { card_number: '4242 4242 4242 4242' });
    expect(paid.status).toBe(303);
    expect(paid.location).toBe(`${base}/orders/${orderId}`);

    // The redirect says "paid", but the platform waits for Stripe's word.
    expect(textOf((await get(paid.location!)).text, 'order-status')).toBe('pending');
    const delivered = await sandbox.flushWebhooks();
    expect(delivered.failed).toEqual([]);
    expect(delivered.attempts.length).toBeGreaterThan(0);
    expect(delivered.attempts.every((a) => a.status === 200)).toBe(true);
    expect(textOf((await get(paid.location!)).text, 'order-status')).toBe('succeeded');

    // The platform page shows the amount, the 12 % fee and the driver's share.
    const platform = await get(`${base}/platform`);
    const row = new RegExp(`<tr data-order="${orderId}">([\\s\\S]*?)</tr>`).exec(platform.text)![1]!;
    expect(row).toContain('£20.00');
    expect(row).toContain('£2.40');
    expect(row).toContain('£17.60');
    expect(row).toContain('succeeded');

    // Submitting the same order form again is the same payment, not a second one.
    const again = await post(`${base}/orders`, { vendorId, orderId });
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${base}/orders/${orderId}`);
    const orders = await app.example.market.listOrders();
    expect(orders.filter((o) => o.orderId === orderId)).toHaveLength(1);
  });

  it('books a shared trip with two drivers: one payment, and each driver is paid their leg by transfer', async () => {
    sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    data = tempDataDir();
    app = await startExample(framework, sandbox, data.dir);
    registerWebhooks(sandbox, app.baseUrl);
    const base = app.baseUrl;
    await activeDriver(app, sandbox, 'driver-one');
    await activeDriver(app, sandbox, 'driver-two');
    await sandbox.flushWebhooks();

    const shop = await get(`${base}/shop`);
    const trip = /<div class="card" id="shared-trip">([\s\S]*?)<\/div>/.exec(shop.text)![1]!;
    expect(trip).toContain('£30.50');
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(trip)![1]!;
    expect([field('first'), field('second')].sort()).toEqual(['driver-one', 'driver-two']);
    const orderId = field('orderId');
    const buy = await post(`${base}/trips`, { first: field('first'), second: field('second'), orderId });
    expect(buy.status).toBe(303);
    const checkoutPage = await get(buy.location!);
    expect(checkoutPage.text).toContain('30.50');
    const paid = await post(formAction(checkoutPage.text, buy.location!), { card_number: '4242 4242 4242 4242' });
    expect(paid.location).toBe(`${base}/orders/${orderId}`);
    expect((await sandbox.flushWebhooks()).failed).toEqual([]);

    const order = await get(paid.location!);
    expect(textOf(order.text, 'order-status')).toBe('succeeded');
    // 12 % of each leg: 1200 -> 144 (driver 1056), 1850 -> 222 (driver 1628); both transfers made.
    const row = (vendorId: string) => new RegExp(`<tr data-vendor="${vendorId}">([\\s\\S]*?)</tr>`).exec(order.text)![1]!;
    expect(row(field('first'))).toMatch(/£12\.00[\s\S]*£1\.44[\s\S]*£10\.56[\s\S]*paid/);
    expect(row(field('second'))).toMatch(/£18\.50[\s\S]*£2\.22[\s\S]*£16\.28[\s\S]*paid/);
    const transfers = await app.example.market.listTransfers(orderId);
    expect(transfers.map((t) => t.amount).sort((a, b) => a - b)).toEqual([1056, 1628]);
    expect(transfers.reduce((s, t) => s + t.amount, 0) + 144 + 222).toBe(3050);
    const platform = await get(`${base}/platform`);
    expect(new RegExp(`<tr data-order="${orderId}">([\\s\\S]*?)</tr>`).exec(platform.text)![1]).toContain('£3.66');
  });

  it('answers a bad webhook with 400 through the framework entry point', async () => {
    sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    data = tempDataDir();
    app = await startExample(framework, sandbox, data.dir);
    const response = await fetch(`${app.baseUrl}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: '{"id":"evt_1"}',
    });
    expect(response.status).toBe(400);
  });

  it('shows 404 pages, titled Not found, for an unknown order and an unknown vendor', async () => {
    sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    data = tempDataDir();
    app = await startExample(framework, sandbox, data.dir);
    const order = await get(`${app.baseUrl}/orders/order_nope`);
    expect(order.status).toBe(404);
    expect(order.text).toContain('<h1>Not found</h1>');
    const buy = await post(`${app.baseUrl}/orders`, { vendorId: 'ghost' });
    expect(buy.status).toBe(404);
    expect(buy.text).toContain('<h1>Not found</h1>');
    expect(textOf(buy.text, 'error-message')).toBe('There is no such driver. Pick one from the list of rides.');
  });
});

describe('the example with real Stripe keys', () => {
  it('renders the Payment Element with the publishable key and the PaymentIntent client secret', async () => {
    // The sandbox stands in for Stripe's API; only the checkout mode and key differ from the offline setup.
    const sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    const data = tempDataDir();
    const example = await createExample({ dataDir: data.dir, sandbox, env: {} });
    try {
      const { accountId } = await example.market.onboardVendor({
        vendorId: 'driver_pe',
        returnUrl: 'http://localhost/return',
        refreshUrl: 'http://localhost/refresh',
      });
      sandbox.completeOnboarding(accountId);
      const page = pages({
        market: example.market,
        baseUrl: () => 'http://localhost:3000',
        checkoutMode: 'embedded',
        publishableKey: 'pk_test_example',
        stripeLabel: 'Stripe test mode',
      }).find((p) => p.method === 'POST' && p.path === '/orders')!;
      const reply = await page.run({}, { vendorId: 'driver_pe', orderId: 'order_pe-000001' }, {});
      expect(reply.status).toBe(200);
      const html = 'html' in reply ? reply.html : '';
      const order = await example.market.getOrder('order_pe-000001');
      const intent = await sandbox.stripe().paymentIntents.retrieve(order!.paymentIntentId!);
      expect(html).toContain('https://js.stripe.com/v3/');
      expect(html).toContain('Stripe("pk_test_example")');
      expect(html).toContain(`clientSecret: ${JSON.stringify(intent.client_secret)}`);
      expect(html).toContain('return_url: "http://localhost:3000/orders/order_pe-000001"');
      // Apple Pay and Google Pay through the Express Checkout Element, on the same PaymentIntent
      // (https://docs.stripe.com/elements/express-checkout-element).
      expect(html).toContain("elements.create('expressCheckout'");
      expect(html).toContain("wallets.on('confirm'");
      expect(order).toMatchObject({ mode: 'embedded', applicationFeeAmount: 240, vendorAmount: 1760 });
    } finally {
      await example.close();
      await sandbox.close();
      data.remove();
    }
  });

  it('onboards drivers inside its own page with Connect.js, from an Account Session made per request', async () => {
    // https://docs.stripe.com/connect/get-started-connect-embedded-components: Connect.js loads from
    // connect-js.stripe.com and asks the platform's server for an Account Session's client secret when it needs one.
    const sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
    const data = tempDataDir();
    const example = await createExample({ dataDir: data.dir, sandbox, env: {} });
    try {
      const table = pages({
        market: example.market,
        baseUrl: () => 'http://localhost:3000',
        checkoutMode: 'embedded',
        publishableKey: 'pk_test_example',
        onboarding: 'embedded',
        stripeLabel: 'Stripe test mode',
      });
      const page = (method: string, path: string) => table.find((p) => p.method === method && p.path === path)!;
      const signup = await page('POST', '/vendors').run({}, { name: 'Ada', email: 'ada@example.com' }, {});
      expect(signup.status).toBe(303);
      const location = 'redirect' in signup ? signup.redirect : '';
      const vendorId = /\/vendors\/([^/]+)\/onboard$/.exec(location)?.[1];
      expect(vendorId).toBeDefined();
      const cookie = signup.cookie?.split(';')[0];
      const vendor = await example.market.getVendor(vendorId!);
      expect(vendor?.status).toBe('onboarding');

      const onboarding = await page('GET', '/vendors/:vendorId/onboard').run({ vendorId: vendorId! }, {}, { cookie });
      expect(onboarding.status).toBe(200);
      const html = 'html' in onboarding ? onboarding.html : '';
      expect(html).toContain('<script src="https://connect-js.stripe.com/v1.0/connect.js"></script>');
      expect(html).toContain("connect.create('account-onboarding')");
      expect(html).toContain(`"http://localhost:3000/vendors/${vendorId}/account-session"`);
      expect(html).not.toContain('accs_secret'); // the secret is fetched when needed, never put in the page
      // Reloading the page makes no new account and no Account Link: only the account was needed.
      const links = vi.spyOn(example.market, 'onboardVendor');
      await page('GET', '/vendors/:vendorId/onboard').run({ vendorId: vendorId! }, {}, { cookie });
      expect(links).not.toHaveBeenCalled();

      const session = page('POST', '/vendors/:vendorId/account-session');
      const first = await session.run({ vendorId: vendorId! }, {}, { cookie });
      const second = await session.run({ vendorId: vendorId! }, {}, { cookie });
      const secretOf = (reply: typeof first) => ('json' in reply ? (reply.json as { clientSecret: string }).clientSecret : '');
      expect(first.status).toBe(200);
      expect(secretOf(first)).toMatch(/^accs_secret__/);
      expect(secretOf(second)).not.toBe(secretOf(first));
      // Another browser (no session cookie for this driver) gets no secret.
      const stranger = await session.run({ vendorId: vendorId! }, {}, {});
      expect(stranger.status).toBe(403);
      expect('json' in stranger).toBe(false);
    } finally {
      await example.close();
      await sandbox.close();
      data.remove();
    }
  });
});
