// What a payer and a platform operator see on the example's pages, over HTTP against the sandbox: the paid state after a
// declined card, error pages, and the log lines of page requests, Stripe calls and webhook deliveries.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import {
  type RunningExample,
  activeDriver,
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

let sandbox: StripeSandbox;
let app: RunningExample;
let data: ReturnType<typeof tempDataDir>;
let log: string[];

beforeEach(async () => {
  sandbox = await startSandbox({ webhooks: { autoDeliver: false } });
  data = tempDataDir();
  log = [];
  app = await startExample('express', sandbox, data.dir, { log });
  registerWebhooks(sandbox, app.baseUrl);
});

afterEach(async () => {
  await app?.stop();
  await sandbox?.close();
  data?.remove();
});

/** Books a ride and returns the URL of the sandbox's hosted checkout page. */
async function checkout(vendorId: string, orderId: string): Promise<string> {
  const buy = await post(`${app.baseUrl}/orders`, { vendorId, orderId });
  expect(buy.status).toBe(303);
  return buy.location!;
}

const refreshOf = (html: string) => /<meta http-equiv="refresh" content="(\d+)">/.exec(html)?.[1];
const titleOf = (html: string) => /<h1>([^<]*)<\/h1>/.exec(html)?.[1];

describe('the order page after a declined card and then a good one', () => {
  it('keeps refreshing while the order is failed, and shows the paid order without the old decline', async () => {
    await activeDriver(app, sandbox, 'driver_retry');
    const checkoutUrl = await checkout('driver_retry', 'order_retry-0001');
    const orderUrl = `${app.baseUrl}/orders/order_retry-0001`;
    const form = formAction((await get(checkoutUrl)).text, checkoutUrl);

    // 4000 0000 0000 0002 is declined (generic_decline); the session stays open for another card.
    const declined = await post(form, { card_number: '4000 0000 0000 0002' });
    expect(declined.status).not.toBe(303);
    expect((await sandbox.flushWebhooks()).failed).toEqual([]);
    const failed = await get(orderUrl);
    expect(textOf(failed.text, 'order-status')).toBe('failed');
    expect(failed.text).toContain('generic_decline');
    // A failed payment can still be retried, so the page keeps looking (the delays are in views.test.ts).
    expect(refreshOf(failed.text)).toBeDefined();

    // The good card: the browser is back on the order page before Stripe's webhook has arrived.
    const paid = await post(form, { card_number: '4242 4242 4242 4242' });
    expect(paid.location).toBe(orderUrl);
    const beforeWebhook = await get(orderUrl);
    expect(textOf(beforeWebhook.text, 'order-status')).toBe('failed');
    expect(refreshOf(beforeWebhook.text)).toBeDefined();

    expect((await sandbox.flushWebhooks()).failed).toEqual([]);
    const settled = await get(orderUrl);
    expect(textOf(settled.text, 'order-status')).toBe('succeeded');
    expect(settled.text).not.toContain('generic_decline');
    expect(settled.text).not.toContain('payment-error');
    expect(refreshOf(settled.text)).toBeUndefined();
  });
});

describe('error pages', () => {
  it('titles each 4xx page for its status and tells the visitor what to do, while the log keeps the reason', async () => {
    await activeDriver(app, sandbox, 'driver_a');
    await activeDriver(app, sandbox, 'driver_b');
    await app.example.market.onboardVendor({
      vendorId: 'driver_new',
      returnUrl: `${app.baseUrl}/vendors/driver_new/return`,
      refreshUrl: `${app.baseUrl}/vendors/driver_new/refresh`,
    });
    await checkout('driver_a', 'order_taken-0001');

    const cases = [
      { answer: await post(`${app.baseUrl}/orders`, { vendorId: '' }), status: 400, title: 'Bad request' },
      { answer: await get(`${app.baseUrl}/vendors/driver_a/return`), status: 403, title: 'Forbidden' },
      { answer: await get(`${app.baseUrl}/orders/order_nope`), status: 404, title: 'Not found' },
      { answer: await post(`${app.baseUrl}/orders`, { vendorId: 'ghost' }), status: 404, title: 'Not found' },
      { answer: await post(`${app.baseUrl}/orders`, { vendorId: 'driver_new' }), status: 409, title: 'Conflict' },
      {
        answer: await post(`${app.baseUrl}/orders`, { vendorId: 'driver_b', orderId: 'order_taken-0001' }),
        status: 409,
        title: 'Conflict',
      },
    ];
    for (const { answer, status, title } of cases) {
      expect({ status: answer.status, title: titleOf(answer.text) }).toEqual({ status, title });
      expect(answer.text).toContain(`<title>${title} · RideShare marketplace</title>`);
      expect(textOf(answer.text, 'error-message')?.length).toBeGreaterThan(10);
    }
    // The library's own message is for the operator: in the log, never on the page.
    const ghost = cases[3]!.answer.text;
    expect(ghost).not.toContain('ghost');
    expect(ghost).toContain('There is no such driver.');
    expect(log.some((line) => /error {2}POST \/orders: VENDOR_NOT_FOUND: .*ghost/.test(line))).toBe(true);
    expect(log.some((line) => /error {2}POST \/orders: VENDOR_NOT_READY: /.test(line))).toBe(true);
    expect(log.some((line) => /error {2}POST \/orders: ORDER_CONFLICT: /.test(line))).toBe(true);
  });
});

describe('the log', () => {
  it('has a line per page request, per Stripe call (with its idempotency key) and per webhook delivery', async () => {
    await activeDriver(app, sandbox, 'driver_log');
    const checkoutUrl = await checkout('driver_log', 'order_log-0001');
    await post(formAction((await get(checkoutUrl)).text, checkoutUrl), { card_number: '4242 4242 4242 4242' });
    await get(`${app.baseUrl}/orders/order_log-0001`);
    const delivered = await sandbox.flushWebhooks();
    expect(delivered.attempts.length).toBeGreaterThan(0);

    const time = '\\d\\d:\\d\\d:\\d\\d {2}';
    const has = (pattern: string) => expect(log.join('\n')).toMatch(new RegExp(`^${time}${pattern}`, 'm'));
    has('page {3}POST /orders 303 -> http://127\\.0\\.0\\.1:\\d+/checkout/cs_\\w+ \\(\\d+ ms\\)$');
    has('page {3}GET /orders/order_log-0001 200 \\(\\d+ ms\\)$');
    // Stripe calls as the Dashboard's request log shows them; creates carry the library's idempotency keys.
    has('stripe POST /v1/accounts 200 \\[req_[\\w-]+\\] idempotency-key=account:driver_log ');
    has('stripe POST /v1/checkout/sessions 200 \\[req_[\\w-]+\\] idempotency-key=checkout:order_log-0001 ');
    has('stripe GET /v1/accounts/acct_\\w+ 200 \\[req_[\\w-]+\\] \\(\\d+ ms\\)$');
    // One line per delivery, as `stripe listen` prints it: type, event id, and the endpoint's answer.
    for (const attempt of delivered.attempts) {
      const line = `webhook --> ${attempt.eventType} [${attempt.eventId}]  <-- [200] processed`;
      expect(log.filter((entry) => entry.endsWith(line))).toHaveLength(1);
    }
    expect(delivered.attempts.some((a) => a.eventType === 'checkout.session.completed')).toBe(true);
  });
});
