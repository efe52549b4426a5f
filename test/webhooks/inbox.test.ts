import { describe, expect, it } from 'vitest';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import { completeHostedOnboarding, type World, world } from '../world.js';

/**
 * The inbox operations against the sandbox: a failed event kept and replayed, missed events backfilled
 * from `events.list`, inbox mode drained by workers, and pruning. Each also checks exactly once.
 */

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

/** Onboards `driver_42` through the sandbox's hosted onboarding and completes it with a re-read. */
async function onboarded(w: World) {
  const { url } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  await w.market.completeOnboarding({ vendorId: 'driver_42' });
}

/** A paid £20.00 order `order_1001`. */
async function paid(w: World, orderId = 'order_1001') {
  const checkout = await w.market.createCheckout({ orderId, vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  return checkout;
}

describe('events.replayFailed', () => {
  it('keeps a failed event with its payload, attempts and error, and replays it exactly once', async () => {
    const w = world();
    await onboarded(w);
    await paid(w);
    let broken = true;
    const runs: string[] = [];
    w.market.on('payment_intent.succeeded', (event) => {
      if (broken) throw new Error('the shipping service is down');
      runs.push(event.id);
    });
    const first = await w.sandbox.flushWebhooks();
    expect(first.attempts.some((a) => a.status === 500)).toBe(true);
    // Without webhookTransactions the projection commits before the handlers run; the handler is what failed.
    expect((await w.market.getOrder('order_1001'))?.status).toBe('succeeded');
    expect(runs).toEqual([]);

    const failed = await w.market.events.list({ statuses: ['failed'] });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'payment_intent.succeeded', status: 'failed', source: 'delivery' });
    expect(failed[0]?.lastError).toMatch(/the shipping service is down/);
    expect(failed[0]?.attempts).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(failed[0]?.payload ?? '{}')).toMatchObject({ id: failed[0]?.id, type: 'payment_intent.succeeded' });

    broken = false;
    expect(await w.market.events.replayFailed()).toEqual({ processed: 1, duplicates: 0, failed: 0, skipped: 0 });
    expect((await w.market.getOrder('order_1001'))?.status).toBe('succeeded');
    expect(runs).toEqual([failed[0]?.id]);
    // Nothing is left to replay, and Stripe's own retry of the delivery is a duplicate now.
    expect(await w.market.events.replayFailed()).toEqual({ processed: 0, duplicates: 0, failed: 0, skipped: 0 });
    expect(await w.market.events.list({ statuses: ['failed'] })).toEqual([]);
  });

  it('counts an event that fails again, and leaves it failed with the new error', async () => {
    const w = world();
    await onboarded(w);
    await paid(w);
    w.market.on('payment_intent.succeeded', () => {
      throw new Error('still down');
    });
    await w.sandbox.flushWebhooks();
    expect(await w.market.events.replayFailed()).toEqual({ processed: 0, duplicates: 0, failed: 1, skipped: 0 });
    const [event] = await w.market.events.list({ statuses: ['failed'] });
    expect(event?.lastError).toMatch(/still down/);
    expect(event?.source).toBe('delivery');
  });
});

describe('events.backfill', () => {
  it('processes what was never delivered, from events.list on the platform and the connected accounts, once', async () => {
    const w = world();
    const since = Math.floor(Date.now() / 1000) - 60;
    const { accountId, url } = await w.market.onboardVendor({ vendorId: 'driver_42', country: 'GB', ...urls });
    await completeHostedOnboarding(w, url);
    // No webhook was delivered: the vendor is still onboarding as far as storage knows.
    expect((await w.market.getVendor('driver_42'))?.status).toBe('onboarding');
    const handled: string[] = [];
    w.market.onAny((event) => {
      handled.push(event.id);
    });

    const summary = await w.market.events.backfill({ since });
    // account.updated arrives through the connected account's events.list.
    expect((await w.market.getVendor('driver_42'))?.status).toBe('active');
    expect(summary.failed).toBe(0);
    expect(summary.processed).toBeGreaterThan(0);
    const stored = await w.market.events.list({ limit: 1000 });
    expect(stored.every((e) => e.source === 'backfill' && e.status === 'processed')).toBe(true);
    expect(stored.some((e) => e.account === accountId && e.type === 'account.updated')).toBe(true);

    await w.market.completeOnboarding({ vendorId: 'driver_42' });
    await paid(w);
    const second = await w.market.events.backfill({ since });
    expect((await w.market.getOrder('order_1001'))?.status).toBe('succeeded');
    expect(second.duplicates).toBe(summary.processed);
    // The live deliveries that arrive late are duplicates now: every handler ran once per event.
    const flushed = await w.sandbox.flushWebhooks();
    expect(flushed.attempts.every((a) => a.status === 200)).toBe(true);
    expect(new Set(handled).size).toBe(handled.length);
    expect(handled.length).toBe((await w.market.events.list({ limit: 1000 })).length);
  });

  it('refuses a bad since or types before calling Stripe', async () => {
    const w = world();
    await expect(w.market.events.backfill({ since: -5 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.events.backfill({ since: 0, types: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe("webhookMode: 'inbox'", () => {
  it('acknowledges with one stored event, and the worker processes each event once', async () => {
    const w = world({ webhookMode: 'inbox' });
    await onboarded(w);
    await paid(w, 'order_1');
    await paid(w, 'order_2');
    const seen: string[] = [];
    w.market.on('payment_intent.succeeded', (event) => {
      seen.push(event.id);
    });
    const flushed = await w.sandbox.flushWebhooks();
    expect(flushed.attempts.every((a) => a.status === 200)).toBe(true);
    expect((await w.market.getOrder('order_1'))?.status).toBe('pending');
    expect((await w.market.events.list({ statuses: ['pending'], limit: 1000 })).length).toBe(flushed.attempts.length);

    // Two workers drain the same inbox at once.
    const [a, b] = await Promise.all([
      w.market.events.work({ concurrency: 3, stopWhenIdle: true }),
      w.market.events.work({ concurrency: 3, stopWhenIdle: true }),
    ]);
    expect(a.processed + b.processed).toBe(flushed.attempts.length);
    expect((await w.market.getOrder('order_1'))?.status).toBe('succeeded');
    expect((await w.market.getOrder('order_2'))?.status).toBe('succeeded');
    expect(seen).toHaveLength(2);
    expect(new Set(seen).size).toBe(2);
  });

  it('retries a failing event with a backoff, then marks it failed after maxEventAttempts', async () => {
    let now = Date.now();
    const storage = memoryStorage({ now: () => now });
    const w = world({ webhookMode: 'inbox', storage, now: () => now, maxEventAttempts: 3 });
    await onboarded(w);
    await paid(w);
    let calls = 0;
    w.market.on('payment_intent.succeeded', () => {
      calls += 1;
      throw new Error(`failure ${calls}`);
    });
    await w.sandbox.flushWebhooks();
    await w.market.events.work({ stopWhenIdle: true });
    expect(calls).toBe(1);
    // Not due yet: the worker waits for the backoff.
    await w.market.events.work({ stopWhenIdle: true });
    expect(calls).toBe(1);
    const [pending] = (await w.market.events.list({ statuses: ['pending'] })).filter(
      (e) => e.type === 'payment_intent.succeeded',
    );
    expect(pending).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/failure 1/) });
    expect(pending?.nextAttemptAt).toBeGreaterThan(now);

    now += 3_600_000;
    await w.market.events.work({ stopWhenIdle: true });
    now += 3_600_000;
    await w.market.events.work({ stopWhenIdle: true });
    expect(calls).toBe(3);
    const [failed] = await w.market.events.list({ statuses: ['failed'] });
    expect(failed).toMatchObject({
      type: 'payment_intent.succeeded',
      attempts: 3,
      lastError: expect.stringMatching(/failure 3/),
    });
    now += 3_600_000;
    await w.market.events.work({ stopWhenIdle: true });
    expect(calls).toBe(3);
  });

  it('stops when its signal aborts', async () => {
    const w = world({ webhookMode: 'inbox' });
    const controller = new AbortController();
    const running = w.market.events.work({ signal: controller.signal, pollMs: 10 });
    setTimeout(() => controller.abort(), 30);
    expect(await running).toEqual({ processed: 0, duplicates: 0, failed: 0, skipped: 0 });
    await expect(w.market.events.work({ concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('events.prune', () => {
  it('removes processed events older than the cut-off and expired OAuth states, and nothing else', async () => {
    let now = Date.now();
    const storage = memoryStorage({ now: () => now });
    const w = world({ storage, now: () => now, oauth: { clientId: 'ca_test', stateTtlMs: 60_000 } });
    await onboarded(w);
    await paid(w);
    w.market.on('payment_intent.succeeded', () => {
      throw new Error('kept for replay');
    });
    await w.sandbox.flushWebhooks();
    await w.market.oauthAuthorizeUrl({ vendorId: 'driver_42', redirectUri: 'https://market.example/oauth' });
    const before = await w.market.events.list({ limit: 1000 });
    const processed = before.filter((e) => e.status === 'processed').length;
    expect(processed).toBeGreaterThan(0);

    expect(await w.market.events.prune({ olderThan: 3_600_000 })).toEqual({ events: 0, records: 0 });
    now += 2 * 3_600_000;
    expect(await w.market.events.prune({ olderThan: 3_600_000 })).toEqual({ events: processed, records: 1 });
    // The failed event stays: only processed events are pruned.
    expect(await w.market.events.list({ limit: 1000 })).toEqual(before.filter((e) => e.status !== 'processed'));
    await expect(w.market.events.prune({ olderThan: -1 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('receiveEvent', () => {
  it('processes a trusted event once, together with its signed delivery', async () => {
    const w = world();
    await onboarded(w);
    const checkout = await paid(w);
    const events = await w.stripe.events.list({ type: 'payment_intent.succeeded' });
    const event = events.data.find((e) => (e.data.object as { id: string }).id === checkout.paymentIntentId);
    expect(event).toBeDefined();
    if (!event) return;
    expect(await w.market.receiveEvent(event, { source: 'backfill' })).toMatchObject({ outcome: 'processed' });
    expect(await w.market.receiveEvent(event)).toMatchObject({ outcome: 'duplicate' });
    expect((await w.market.getOrder('order_1001'))?.status).toBe('succeeded');
    expect(() => w.market.receiveEvent(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('verifyWebhook', () => {
  it('verifies the raw bytes without storing anything, and its event goes through receiveEvent once', async () => {
    const w = world();
    const secret = 'whsec_verify_layer_test';
    const deliveries: { body: string; signature: string }[] = [];
    w.sandbox.addWebhookEndpoint({
      secret,
      handler: (body: string, signature: string) => {
        deliveries.push({ body, signature });
        return { status: 200 };
      },
    });
    const market = new Marketplace({
      stripe: w.stripe,
      storage: memoryStorage(),
      commission: percentage(12),
      webhookSecrets: { platform: secret },
      livemode: false,
    });
    await onboarded(w);
    await paid(w);
    await w.sandbox.flushWebhooks();
    const delivery = deliveries.find((d) => d.body.includes('"payment_intent.succeeded"'));
    expect(delivery).toBeDefined();
    if (!delivery) return;

    const tampered = await market.verifyWebhook(delivery.body.replace('"amount": 2000', '"amount": 2001'), delivery.signature);
    expect(tampered).toMatchObject({ ok: false, message: expect.stringMatching(/no signature/) });
    const verified = await market.verifyWebhook(delivery.body, delivery.signature);
    expect(verified).toMatchObject({ ok: true, endpoint: 'platform', event: { type: 'payment_intent.succeeded' } });
    expect(await market.events.list({ limit: 1000 })).toEqual([]);
    if (!verified.ok) return;
    expect(await market.receiveEvent(verified.event)).toMatchObject({ outcome: 'processed' });
    expect(await market.handleWebhook(delivery)).toMatchObject({ status: 200, outcome: 'duplicate' });
  });
});
