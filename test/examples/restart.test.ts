import { afterEach, expect, it, vi } from 'vitest';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import {
  type RunningExample,
  activeDriver,
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

let sandbox: StripeSandbox | undefined;
let app: RunningExample | undefined;
let data: ReturnType<typeof tempDataDir> | undefined;

afterEach(async () => {
  await app?.stop();
  await sandbox?.close();
  data?.remove();
});

it('keeps the order across a restart between checkout and webhook, and the redelivered webhook completes it', async () => {
  // Stripe retries a failed delivery later; here the retry waits until the test flushes.
  sandbox = await startSandbox({ webhooks: { retrySchedule: [60_000, 60_000] } });
  data = tempDataDir();
  app = await startExample('express', sandbox, data.dir);
  const { port, baseUrl } = app;
  registerWebhooks(sandbox, baseUrl);

  await activeDriver(app, sandbox, 'driver_1');
  await sandbox.flushWebhooks();

  const buy = await post(`${baseUrl}/orders`, { vendorId: 'driver_1', orderId: 'order_restart-1' });
  expect(buy.status).toBe(303);
  const sessionId = /\/checkout\/(cs_\w+)/.exec(buy.location!)![1]!;

  // The server goes down; the customer pays meanwhile, and Stripe's delivery fails.
  await app.stop();
  app = undefined;
  const before = sandbox.deliveries().length;
  await sandbox.payCheckoutSession(sessionId);
  await expect
    .poll(
      () =>
        sandbox!
          .deliveries()
          .slice(before)
          .some((d) => d.eventType === 'checkout.session.completed' && d.status === 0),
      {
        timeout: 10_000,
      },
    )
    .toBe(true);

  // Back up on the same port and data folder: the order survived, and is still waiting for Stripe's word.
  app = await startExample('express', sandbox, data.dir, { port });
  const waiting = await get(`${baseUrl}/orders/order_restart-1`);
  expect(waiting.status).toBe(200);
  expect(textOf(waiting.text, 'order-status')).toBe('pending');

  const redelivered = await sandbox.flushWebhooks();
  expect(
    redelivered.attempts.some((a) => a.eventType === 'checkout.session.completed' && a.attempt > 1 && a.status === 200),
  ).toBe(true);
  expect(redelivered.failed).toEqual([]);
  expect(textOf((await get(`${baseUrl}/orders/order_restart-1`)).text, 'order-status')).toBe('succeeded');
  expect(await app.example.market.getOrder('order_restart-1')).toMatchObject({
    status: 'succeeded',
    applicationFeeAmount: 240,
    vendorAmount: 1760,
  });
});
