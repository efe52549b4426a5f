import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxCore } from '../../src/testing/sandbox/core/core.js';
import { type ResourceModule, RouteTable } from '../../src/testing/sandbox/core/routes.js';
import { defineStore } from '../../src/testing/sandbox/core/store.js';
import { dashboardHtml, escapeHtml } from '../../src/testing/sandbox/dashboard.js';
import { RESOURCES } from '../../src/testing/sandbox/resources/index.js';
import { createSandbox, type StripeSandbox } from '../../src/testing/index.js';
import { paidIntent, readyAccount } from './helpers.js';

/** The text as the page shows it (table cells separated by tabs), as a user reads it. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text, which is what is asserted.
const visible = (locator: Locator): Promise<string> => locator.innerText();

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// In CI the browser is installed, so its absence is a failure there, not a skip.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

describe.runIf(available)('the dashboard in a browser, after onboarding, a payment, its webhooks and a refund', () => {
  let browser: Browser;
  let sandbox: StripeSandbox;
  let url: string;
  let ids: { account: string; intent: string; refund: string; transfer: string };

  beforeAll(async () => {
    sandbox = createSandbox({ webhooks: { autoDeliver: false, retrySchedule: [1000] } });
    url = (await sandbox.listen()).url;
    const stripe = sandbox.stripe();
    let failRefunded = true;
    // A platform endpoint that fails charge.refunded once (Stripe retries it), and a Connect endpoint that is not one.
    sandbox.addWebhookEndpoint({
      handler: (body) => {
        if ((JSON.parse(body) as { type: string }).type !== 'charge.refunded') return { status: 200 };
        const status = failRefunded ? 500 : 200;
        failRefunded = false;
        return { status };
      },
    });
    sandbox.addWebhookEndpoint({ url: `${url}/v1/not-a-webhook-endpoint`, connect: true });
    const account = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, account, 2000, 240);
    const refund = await stripe.refunds.create({ payment_intent: intent.id, reverse_transfer: true, amount: 500 });
    await sandbox.flushWebhooks();
    const transfer = (await stripe.transfers.list({ destination: account })).data[0]!.id;
    ids = { account, intent: intent.id, refund: refund.id, transfer };
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
  });

  it('shows accounts, payments with fee and vendor share, transfers, refunds, balances and every delivery', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const response = await page.goto(`${url}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    await expect(page.title()).resolves.toBe('Stripe sandbox');

    const accounts = await visible(page.locator('#accounts'));
    expect(accounts).toContain(ids.account);
    expect(accounts).toContain('transfers: active');

    const payments = page.locator('#payment_intents tbody tr', { hasText: ids.intent });
    const paymentText = await visible(payments);
    expect(paymentText).toContain('succeeded');
    expect(paymentText).toContain('2000 GBP'); // amount
    expect(paymentText).toContain('240 GBP'); // application fee
    expect(paymentText).toContain(`1760 GBP → ${ids.account}`); // vendor share

    const refunds = await visible(page.locator('#refunds'));
    expect(refunds).toContain(ids.refund);
    expect(refunds).toContain('500 GBP');
    // A destination charge transfers the whole amount and collects the fee from the destination; the refund with
    // reverse_transfer reversed 2000 * 500 / 2000 = 500 of it (https://docs.stripe.com/connect/destination-charges).
    const transfers = await visible(page.locator('#transfers tbody tr', { hasText: ids.transfer }));
    expect(transfers.split('\t').slice(1, 3)).toEqual(['2000 GBP', '500 GBP']);

    // The platform keeps its fee (the refund is paid back by the reversal): 2000 - 2000 + 240 - 500 + 500 = 240;
    // the vendor has 2000 - 240 - 500 = 1260.
    const platform = await visible(page.locator('#balances tr', { hasText: 'platform' }));
    expect(platform.split('\t')).toEqual(['platform', 'GBP', '240', '0']);
    const vendor = await visible(page.locator('#balances tr', { hasText: ids.account }));
    expect(vendor.split('\t')).toEqual([ids.account, 'GBP', '1260', '0']);

    // Each event with each attempt and its answer, as `stripe listen` prints them.
    const refunded = page.locator('ol.events > li', { hasText: 'charge.refunded' });
    await expect(visible(refunded)).resolves.toMatch(/<-- \[500\] handler we_\w+[\s\S]*<-- \[200\] handler we_\w+/);
    const connect = page.locator('ol.events > li', { hasText: 'account.updated' }).first();
    await expect(visible(connect)).resolves.toMatch(
      /<-- \[401\] POST http:\/\/127\.0\.0\.1:\d+\/v1\/not-a-webhook-endpoint \[evt_\w+\] attempt 2/,
    );
    const total = await page.locator('ol.events > li').count();
    expect(total).toBe(sandbox.events().length);

    for (const section of ['disputes', 'payouts', 'checkout_sessions', 'application_fees', 'balance_transactions']) {
      if (RESOURCES.some((m) => m.objects?.some((k) => k.name === section)))
        await expect(page.locator(`#${section}`).count()).resolves.toBe(1);
    }
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/sandbox-dashboard.png', fullPage: true });
    await page.close();
  });
});

describe('the dashboard page', () => {
  it('renders a new module store generically, with its fields escaped', () => {
    const GADGETS = defineStore<{ id: string; status: string; amount: number; currency: string }>('gadgets');
    const gadgets: ResourceModule = { name: 'gadgets', objects: [GADGETS], routes: [] };
    const core = new SandboxCore();
    core
      .state(GADGETS)
      .set('gdg_1', core.platformId, { id: 'gdg_1', status: '<script>alert(1)</script>', amount: 5, currency: 'eur' });
    const html = dashboardHtml(core, new RouteTable([...RESOURCES, gadgets]));
    expect(html).toContain('<section id="gadgets"><h2>Gadgets <small>1</small></h2>');
    expect(html).toContain('<td>gdg_1</td><td>platform</td><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td>5</td>');
    expect(html).not.toContain('<script>');
  });

  it('escapes every character that is special in HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('is served at the root, read-only, with no script or external asset allowed', async () => {
    const sandbox = createSandbox();
    const response = await sandbox.fetch(new Request('http://sandbox.test/'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = await response.text();
    expect(html).toContain('No connected accounts yet.');
    expect(html).not.toMatch(/<script|<link|src=/);
    expect((await sandbox.fetch(new Request('http://sandbox.test/', { method: 'POST' }))).status).toBe(404);
  });
});
