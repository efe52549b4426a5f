import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/testing/index.js';
import { DESTINATION_CHARGE_EVENTS, paidIntent, readyAccount, setup } from './helpers.js';

const verifier = new Stripe('sk_test_verify');

function recorder(status = 200) {
  const received: { event: Stripe.Event; signature: string; body: string }[] = [];
  return {
    received,
    handler: async (body: string, signature: string) => {
      received.push({ event: JSON.parse(body) as Stripe.Event, signature, body });
      return { status };
    },
  };
}

describe('webhooks', () => {
  it('signs each delivery so that stripe-node verifies it with the endpoint secret', async () => {
    const { sandbox, stripe } = setup();
    const platform = recorder();
    const endpoint = sandbox.addWebhookEndpoint({ handler: platform.handler });
    expect(endpoint.secret).toMatch(/^whsec_/);
    await paidIntent(stripe, await readyAccount(sandbox, stripe));
    await sandbox.flushWebhooks();
    expect(platform.received.map((r) => r.event.type)).toEqual(DESTINATION_CHARGE_EVENTS);
    for (const { body, signature } of platform.received) {
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const event = await verifier.webhooks.constructEventAsync(body, signature, endpoint.secret);
      expect(event.livemode).toBe(false);
      await expect(verifier.webhooks.constructEventAsync(body, signature, 'whsec_other')).rejects.toThrow();
    }
  });

  it('platform and Connect endpoints get their own events, with separate secrets; Connect events carry account', async () => {
    const { sandbox, stripe } = setup();
    const platform = recorder();
    const connect = recorder();
    const p = sandbox.addWebhookEndpoint({ handler: platform.handler, secret: 'whsec_platform' });
    const c = sandbox.addWebhookEndpoint({ handler: connect.handler, connect: true, secret: 'whsec_connect' });
    const driver = await readyAccount(sandbox, stripe);
    await sandbox.flushWebhooks();
    expect(platform.received).toEqual([]);
    expect(connect.received.map((r) => [r.event.type, r.event.account])).toEqual([
      ['capability.updated', driver],
      ['account.updated', driver],
    ]);
    const [first] = connect.received;
    await expect(verifier.webhooks.constructEventAsync(first!.body, first!.signature, c.secret)).resolves.toBeTruthy();
    await expect(verifier.webhooks.constructEventAsync(first!.body, first!.signature, p.secret)).rejects.toThrow(/signature/i);
  });

  it('retries a failing endpoint on a bounded schedule, then gives up', async () => {
    const { sandbox, stripe } = setup({ webhooks: { autoDeliver: false, retrySchedule: [10, 20] } });
    const failing = recorder(500);
    sandbox.addWebhookEndpoint({ handler: failing.handler, enabledEvents: ['payment_intent.created'] });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const result = await sandbox.flushWebhooks();
    expect(result.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 500],
    ]);
    expect(result.failed).toHaveLength(1);
    expect(failing.received.every((r) => r.event.id === failing.received[0]?.event.id)).toBe(true);
  });

  it('a retry succeeds once the endpoint recovers', async () => {
    const { sandbox, stripe } = setup();
    let calls = 0;
    sandbox.addWebhookEndpoint({
      handler: () => ({ status: ++calls === 1 ? 503 : 200 }),
      enabledEvents: ['payment_intent.created'],
    });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const result = await sandbox.flushWebhooks();
    expect(result.attempts.map((a) => a.status)).toEqual([503, 200]);
    expect(result.failed).toEqual([]);
  });

  it('fault injection: duplicates and out-of-order delivery', async () => {
    const { sandbox, stripe } = setup({ webhooks: { autoDeliver: false, duplicate: true, outOfOrder: true } });
    const platform = recorder();
    sandbox.addWebhookEndpoint({ handler: platform.handler });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    await sandbox.flushWebhooks();
    const ids = platform.received.map((r) => r.event.id);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
    const amounts = platform.received.map((r) => (r.event.data.object as Stripe.PaymentIntent).amount);
    expect(amounts).toEqual([2000, 2000, 1000, 1000]);
    expect(sandbox.deliveries().filter((d) => d.duplicate)).toHaveLength(2);
  });

  it('a duplicate probability is reproducible from the seed', async () => {
    const run = async () => {
      const { sandbox, stripe } = setup({ webhooks: { autoDeliver: false, duplicate: 0.5, seed: 7 } });
      sandbox.addWebhookEndpoint({ handler: () => ({ status: 200 }) });
      for (let i = 0; i < 10; i++) await stripe.paymentIntents.create({ amount: 1000 + i, currency: 'usd' });
      return (await sandbox.flushWebhooks()).attempts.map((a) => a.duplicate);
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first.some((d) => d)).toBe(true);
    expect(first.filter((d) => !d)).toHaveLength(10);
  });

  it('delivers automatically after the request when autoDeliver is on', async () => {
    const sandbox = createSandbox();
    const stripe = sandbox.stripe();
    let resolve: (type: string) => void = () => undefined;
    const delivered = new Promise<string>((r) => {
      resolve = r;
    });
    sandbox.addWebhookEndpoint({
      handler: (body) => {
        resolve((JSON.parse(body) as Stripe.Event).type);
        return { status: 200 };
      },
    });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    expect(await delivered).toBe('payment_intent.created');
    await sandbox.close();
  });

  it('POSTs to a registered URL with the Stripe-Signature header', async () => {
    const bodies: { body: string; signature: string | undefined }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push({ body, signature: req.headers['stripe-signature'] as string | undefined });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { sandbox, stripe } = setup();
      const { port } = server.address() as AddressInfo;
      const endpoint = sandbox.addWebhookEndpoint({ url: `http://127.0.0.1:${port}/webhooks` });
      await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
      const result = await sandbox.flushWebhooks();
      expect(result.attempts.map((a) => a.status)).toEqual([200]);
      const event = await verifier.webhooks.constructEventAsync(bodies[0]!.body, bodies[0]!.signature as string, endpoint.secret);
      expect(event.type).toBe('payment_intent.created');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('events.retrieve and events.list (type, types with wildcard) answer from the event log', async () => {
    const { sandbox, stripe } = setup();
    await paidIntent(stripe, await readyAccount(sandbox, stripe));
    const all = await stripe.events.list({ limit: 100 });
    const first = all.data.at(-1) as Stripe.Event;
    expect(await stripe.events.retrieve(first.id)).toEqual(first);
    expect((await stripe.events.list({ types: ['payment_intent.*'] })).data.map((e) => e.type)).toEqual([
      'payment_intent.succeeded',
      'payment_intent.created',
    ]);
    expect(first.request?.id).toMatch(/^req_/);
    expect((await stripe.events.list({ type: 'charge.succeeded' })).data).toHaveLength(1);
  });
});

describe('events.list filters', () => {
  it('created ranges select by the sandbox clock; other list endpoints take them too', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { stripe } = setup({ now: () => now });
    await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    const t1 = Math.floor(now / 1000);
    now += 60_000;
    const later = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
    expect(
      (await stripe.events.list({ created: { gt: t1 } })).data.map((e) => (e.data.object as Stripe.PaymentIntent).amount),
    ).toEqual([2000]);
    expect((await stripe.events.list({ created: { lte: t1 } })).data).toHaveLength(1);
    expect((await stripe.paymentIntents.list({ created: { gte: t1 + 60 } })).data.map((p) => p.id)).toEqual([later.id]);
  });

  it('an idempotency key is forgotten after 24 hours', async () => {
    const { sandbox, stripe } = setup();
    const first = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'day' });
    sandbox.advanceTime(24 * 3600 * 1000);
    const second = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'day' });
    expect(second.id).not.toBe(first.id);
  });
});
