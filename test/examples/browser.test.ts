import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import { type RunningExample, activeDriver, post, registerWebhooks, startExample, startSandbox, tempDataDir } from './harness.js';

// The pages are served from PGlite and clicked through in Chromium, which takes seconds on a busy machine.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 180_000 });

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
// In CI the browser is installed by .ci/run, so its absence is a failure there, not a skip.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

let browser: Browser;
/** Webhooks delivered on their own, as Stripe would. */
let sandbox: StripeSandbox;
let app: RunningExample;
/** Webhooks delivered when the test flushes them, and a clock the test can move forward. */
let manual: StripeSandbox;
let manualApp: RunningExample;
/** The order pages' clock: real time, unless a test pins it. */
let clock: () => number = Date.now;
const dataDirs: ReturnType<typeof tempDataDir>[] = [];

beforeAll(async () => {
  if (!available) return;
  dataDirs.push(tempDataDir(), tempDataDir());
  [sandbox, manual] = await Promise.all([startSandbox(), startSandbox({ webhooks: { autoDeliver: false } })]);
  [app, manualApp] = await Promise.all([
    startExample('express', sandbox, dataDirs[0]!.dir),
    startExample('express', manual, dataDirs[1]!.dir, { now: () => clock() }),
  ]);
  registerWebhooks(sandbox, app.baseUrl);
  registerWebhooks(manual, manualApp.baseUrl);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-quic',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await manualApp?.stop();
  await sandbox?.close();
  await manual?.close();
  for (const data of dataDirs) data.remove();
});

/** Signs a driver up in a new page and presses `button` on the sandbox's onboarding page; returns on the return page. */
async function signUp(name: string, button: 'Complete onboarding' | 'Leave without finishing'): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${app.baseUrl}/vendors/new`);
  await page.fill('input[name="name"]', name);
  await page.click('#signup');
  await page.getByRole('button', { name: button }).click();
  const slug = name.toLowerCase().replace(/ /g, '-');
  await page.waitForURL(new RegExp(`/vendors/${slug}-[0-9a-f]{8}/return$`));
  return page;
}

const refreshOf = (page: Page) =>
  page.locator('meta[http-equiv="refresh"]').evaluateAll((metas) => metas.map((m) => m.getAttribute('content')));

it.skipIf(!available)(
  'a driver onboards and a rider pays in a real browser; the order shows paid after the webhook',
  async () => {
    // Through the sandbox's hosted onboarding page.
    const page = await signUp('Grace Hopper', 'Complete onboarding');
    await expect.poll(() => page.textContent('#vendor-status')).toBe('active');

    await page.goto(`${app.baseUrl}/shop`);
    await page.click('button.buy');
    // The sandbox's hosted checkout page, paid with a test card.
    await page.waitForURL(/\/checkout\/cs_/);
    await page.fill('input[name="card_number"]', '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/orders\/order_/);
    // The order page refreshes itself until the webhook has arrived.
    await expect.poll(() => page.textContent('#order-status'), { timeout: 15_000 }).toBe('succeeded');

    await page.goto(`${app.baseUrl}/platform`);
    const fee = await page.textContent('#orders tbody tr td.fee');
    expect(fee?.trim()).toBe('£2.40');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/express-platform.png`, fullPage: true });
    expect(existsSync(`${ARTIFACTS}/express-platform.png`)).toBe(true);
    await page.close();
  },
);

it.skipIf(!available)('a driver who leaves onboarding early sees each missing requirement once', async () => {
  const page = await signUp('Alan Turing', 'Leave without finishing');
  // The sandbox, like Stripe, lists a past-due field in currently_due as well.
  const items = await page.locator('#requirements li').allTextContents();
  expect(items.length).toBeGreaterThan(0);
  expect(new Set(items).size).toBe(items.length);
  await expect.poll(() => page.getByRole('link', { name: 'Continue onboarding' }).count()).toBe(1);
  await page.close();
});

describe.skipIf(!available)('the order page, with webhooks delivered when the test says so', () => {
  it('after a declined card and then a good one, shows the paid order without the old decline', async () => {
    await activeDriver(manualApp, manual, 'driver_retry');
    const page = await browser.newPage();
    await page.goto(`${manualApp.baseUrl}/shop`);
    await page.click('button.buy[data-vendor="driver_retry"]');
    await page.waitForURL(/\/checkout\/cs_/);
    await page.fill('input[name="card_number"]', '4000 0000 0000 0002');
    await page.getByRole('button', { name: 'Pay' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('declined');
    expect((await manual.flushWebhooks()).failed).toEqual([]);

    // The good card. The browser lands on the order page before Stripe's webhook: the order is still failed.
    await page.fill('input[name="card_number"]', '4242 4242 4242 4242');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(/\/orders\/order_/);
    expect(await page.textContent('#order-status')).toBe('failed');
    expect(await page.textContent('#payment-error')).toContain('generic_decline');
    expect(await refreshOf(page)).toHaveLength(1);

    // The webhook arrives; the page, refreshing on its own, turns paid and drops the decline.
    expect((await manual.flushWebhooks()).failed).toEqual([]);
    await expect.poll(() => page.textContent('#order-status'), { timeout: 20_000 }).toBe('succeeded');
    expect(await page.locator('#payment-error').count()).toBe(0);
    expect(await page.content()).not.toContain('generic_decline');
    expect(await refreshOf(page)).toEqual([]);
    await page.close();
  });

  it('an abandoned checkout backs off, then stops refreshing with a link to reload; the platform page marks it', async () => {
    await activeDriver(manualApp, manual, 'driver_idle');
    const orderId = 'order_idle-0001';
    expect((await post(`${manualApp.baseUrl}/orders`, { vendorId: 'driver_idle', orderId })).status).toBe(303);
    const page = await browser.newPage();
    try {
      // The clock is pinned to the moment the order was created, then moved forward.
      const { updatedAt } = (await manualApp.example.market.getOrder(orderId))!;
      clock = () => updatedAt;
      await page.goto(`${manualApp.baseUrl}/orders/${orderId}`);
      expect(await page.textContent('#order-status')).toBe('pending');
      expect(await refreshOf(page)).toEqual(['1']);

      clock = () => updatedAt + 5 * 60_000; // the payer left the checkout five minutes ago
      await page.reload();
      expect(await refreshOf(page)).toEqual(['30']);

      clock = () => updatedAt + 16 * 60_000;
      await page.reload();
      expect(await refreshOf(page)).toEqual([]);
      expect(await page.textContent('#stopped')).toContain('stopped refreshing');
      // The link reloads the same URL: wait for the new document, not for a URL the page already has.
      const navigated = page.waitForEvent('framenavigated');
      await page.getByRole('link', { name: 'Reload' }).click();
      expect((await navigated).url()).toBe(`${manualApp.baseUrl}/orders/${orderId}`);
      await page.waitForLoadState('load');
      expect(await page.textContent('#order-status')).toBe('pending');

      await page.goto(`${manualApp.baseUrl}/platform`);
      expect(await page.locator(`tr[data-order="${orderId}"] .abandoned`).count()).toBe(1);
    } finally {
      clock = Date.now;
      await page.close();
    }
  });
});
