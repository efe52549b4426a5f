import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, chromium } from 'playwright-core';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import { type RunningExample, registerWebhooks, startExample, startSandbox, tempDataDir } from './harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
// In CI the browser is installed by .ci/run, so its absence is a failure there, not a skip.
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

let sandbox: StripeSandbox;
let app: RunningExample;
let data: ReturnType<typeof tempDataDir>;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  sandbox = await startSandbox(); // webhooks delivered on their own, as Stripe would
  data = tempDataDir();
  app = await startExample('express', sandbox, data.dir);
  registerWebhooks(sandbox, app.baseUrl);
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
  await sandbox?.close();
  data?.remove();
});

it.skipIf(!available)(
  'a driver onboards and a rider pays in a real browser; the order shows paid after the webhook',
  async () => {
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/vendors/new`);
    await page.fill('input[name="name"]', 'Grace Hopper');
    await page.click('#signup');
    // The sandbox's hosted onboarding page.
    await page.getByRole('button', { name: 'Complete onboarding' }).click();
    await page.waitForURL(/\/vendors\/grace-hopper-[0-9a-f]{8}\/return$/);
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
  },
);
