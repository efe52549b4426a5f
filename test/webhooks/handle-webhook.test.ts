import { describe, expect, it, vi } from 'vitest';
import { memoryStorage } from '../../src/index.js';
import type { MarketplaceStorage, WebhookContext } from '../../src/index.js';
import {
  ACCOUNT_ID,
  CONNECT_SECRET,
  PLATFORM_SECRET,
  deferred,
  makeMarket,
  paymentIntent,
  seed,
  sign,
  stripeEvent,
} from './helpers.js';

describe('handleWebhook', () => {
  it('processes a signed payment_intent.succeeded: 200, and the order is succeeded', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const seen: WebhookContext[] = [];
    market.on('payment_intent.succeeded', (_event, ctx) => {
      seen.push(ctx);
    });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());

    const result = await market.handleWebhook(sign(event));

    expect(result).toEqual({ status: 200, outcome: 'processed', eventId: event.id, type: 'payment_intent.succeeded' });
    const order = await market.getOrder('order_1001');
    expect(order?.status).toBe('succeeded');
    expect(order?.chargeId).toBe('ch_order_1001');
    expect(seen).toHaveLength(1);
    // Handlers see the order as the built-in handler left it.
    expect(seen[0]?.order?.status).toBe('succeeded');
    expect(seen[0]?.vendor?.vendorId).toBe('driver_42');
    expect(seen[0]?.account).toBeUndefined();
  });

  it('accepts a body given as bytes', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const { body, signature } = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));
    const result = await market.handleWebhook({ body: new TextEncoder().encode(body), signature });
    expect(result.status).toBe(200);
    expect((await market.getOrder('order_1001'))?.status).toBe('succeeded');
  });

  describe('answers 400 and runs no handler', () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const good = sign(event);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['a tampered body', () => ({ body: good.body.replace('2000', '1'), signature: good.signature }), /no signature .* matches/],
      ['the wrong secret', () => sign(event, { secret: 'whsec_someone_else' }), /no signature .* matches/],
      ['a timestamp outside the tolerance', () => sign(event, { timestamp: now - 301 }), /more than 300 s old/],
      ['a missing header', () => ({ body: good.body, signature: undefined }), /header is missing/],
      ['an empty header', () => ({ body: good.body, signature: '' }), /header is missing/],
      ['a header given as an array', () => ({ body: good.body, signature: [good.signature] }), /single string/],
      ['a malformed header', () => ({ body: good.body, signature: 'v1=abc' }), /malformed/],
      [
        'a parsed object',
        () => ({ body: JSON.parse(good.body), signature: good.signature }),
        /raw request body.*parsed object.*express\.json\(\)/s,
      ],
      ['an empty body', () => ({ body: '', signature: good.signature }), /body is empty/],
      ['no body', () => ({ signature: good.signature }), /no request body/],
      ['no input', () => undefined, /expects \{ body, signature \}/],
    ];
    it.each(cases)('%s', async (_name, input, message) => {
      const { market, storage } = makeMarket();
      await seed(storage);
      const handler = vi.fn();
      market.onAny(handler);

      const result = await market.handleWebhook(input() as never);

      expect(result.status).toBe(400);
      expect(result.outcome).toBe('rejected');
      expect(result.error).toMatch(message);
      expect(result.eventId).toBeUndefined();
      expect(handler).not.toHaveBeenCalled();
      expect((await market.getOrder('order_1001'))?.status).toBe('pending');
    });
  });

  it('accepts a timestamp just inside the tolerance', async () => {
    const { market, storage } = makeMarket({ webhookToleranceSeconds: 60 });
    await seed(storage);
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const now = Math.floor(Date.now() / 1000);
    expect((await market.handleWebhook(sign(event, { timestamp: now - 55 }))).status).toBe(200);
    const late = stripeEvent('payment_intent.succeeded', paymentIntent());
    expect((await market.handleWebhook(sign(late, { timestamp: now - 65 }))).error).toMatch(/more than 60 s old/);
  });

  it('accepts every secret of a roll, platform and Connect', async () => {
    const { market, storage } = makeMarket({
      webhookSecrets: { platform: ['whsec_old', PLATFORM_SECRET], connect: ['whsec_connect_old', CONNECT_SECRET] },
    });
    await seed(storage);
    for (const secret of ['whsec_old', PLATFORM_SECRET, 'whsec_connect_old', CONNECT_SECRET]) {
      const result = await market.handleWebhook(sign(stripeEvent('payment_intent.processing', paymentIntent()), { secret }));
      expect(result.outcome, secret).toBe('processed');
    }
  });

  it('accepts an event signed with the Connect secret and resolves event.account to the vendor', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const seen: WebhookContext[] = [];
    market.on('payout.paid', (event, ctx) => {
      expect(event.data.object.amount).toBe(1760);
      seen.push(ctx);
    });
    const event = stripeEvent(
      'payout.paid',
      { id: 'po_1', object: 'payout', amount: 1760, currency: 'gbp' },
      { account: ACCOUNT_ID },
    );

    const result = await market.handleWebhook(sign(event, { secret: CONNECT_SECRET }));

    expect(result.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.account).toBe(ACCOUNT_ID);
    expect(seen[0]?.vendor?.vendorId).toBe('driver_42');
    expect(seen[0]?.order).toBeUndefined();
  });

  it('acknowledges and ignores an event of the other mode', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const handler = vi.fn();
    market.onAny(handler);
    const event = stripeEvent('payment_intent.succeeded', paymentIntent(), { livemode: true });

    const result = await market.handleWebhook(sign(event));

    expect(result).toEqual({ status: 200, outcome: 'ignored', eventId: event.id, type: event.type });
    expect(handler).not.toHaveBeenCalled();
    expect((await market.getOrder('order_1001'))?.status).toBe('pending');
    // Ignored is not recorded: a live deployment seeing it later would still process it.
    expect(await storage.listEvents({ limit: 10 })).toEqual([]);
  });

  it('runs user handlers for objects the library did not create, without an order', async () => {
    const { market } = makeMarket();
    const seen: WebhookContext[] = [];
    market.on('payment_intent.succeeded', (_event, ctx) => {
      seen.push(ctx);
    });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_unknown' }));
    const result = await market.handleWebhook(sign(event));
    expect(result.outcome).toBe('processed');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.order).toBeUndefined();
    expect(seen[0]?.vendor).toBeUndefined();
  });

  it('gives 500 when a handler throws, then processes the next delivery, then answers duplicate', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    let calls = 0;
    market.on('payment_intent.succeeded', () => {
      calls += 1;
      if (calls === 1) throw new Error('the warehouse is down');
    });
    const errors: unknown[] = [];
    market.onError((error, event) => {
      errors.push({ code: error.code, cause: (error.cause as Error).message, eventId: event.id });
    });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const request = sign(event);

    const first = await market.handleWebhook(request);
    expect(first).toMatchObject({ status: 500, outcome: 'failed', eventId: event.id });
    expect(first.error).toMatch(/the warehouse is down/);
    expect(errors).toEqual([{ code: 'WEBHOOK_HANDLER_FAILED', cause: 'the warehouse is down', eventId: event.id }]);

    const second = await market.handleWebhook(request);
    expect(second).toMatchObject({ status: 200, outcome: 'processed' });

    const third = await market.handleWebhook(request);
    expect(third).toMatchObject({ status: 200, outcome: 'duplicate', eventId: event.id });
    expect(calls).toBe(2);
  });

  it('runs the handler once when the same event arrives 20 times at once; the others get 409', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const gate = deferred();
    let calls = 0;
    market.on('payment_intent.succeeded', async () => {
      calls += 1;
      await gate.promise;
    });
    const request = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));

    let answered = 0;
    const deliveries = Array.from({ length: 20 }, () =>
      market.handleWebhook(request).finally(() => {
        answered += 1;
      }),
    );
    // The first delivery holds its handler open until the other 19 have been answered.
    await vi.waitFor(() => expect(answered).toBe(19));
    expect(calls).toBe(1);
    gate.resolve();
    const settled = await Promise.allSettled(deliveries);

    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const results = settled.map((s) => (s as PromiseFulfilledResult<Awaited<(typeof deliveries)[number]>>).value);
    expect(calls).toBe(1);
    expect(results.filter((r) => r.status === 200 && r.outcome === 'processed')).toHaveLength(1);
    const others = results.filter((r) => r.outcome !== 'processed');
    expect(others).toHaveLength(19);
    for (const r of others) {
      expect(r).toMatchObject({ status: 409, outcome: 'duplicate' });
      expect(r.retryAfter).toBeGreaterThan(0);
    }
    // Once the first delivery is done, a retry is a plain duplicate.
    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'duplicate' });
  });

  it('lets a later delivery take over an event whose lease expired', async () => {
    let now = 1_760_000_000_000;
    const { market, storage } = makeMarket({ now: () => now, eventLeaseMs: 60_000 });
    await seed(storage);
    const stuck = deferred();
    let calls = 0;
    market.on('payment_intent.succeeded', async () => {
      calls += 1;
      if (calls === 1) await stuck.promise; // a process that hangs mid-event
    });
    const request = sign(stripeEvent('payment_intent.succeeded', paymentIntent()), { timestamp: Math.floor(now / 1000) });

    const first = market.handleWebhook(request);
    await vi.waitFor(() => expect(calls).toBe(1));
    expect(await market.handleWebhook(request)).toMatchObject({ status: 409, retryAfter: 60 });

    now += 60_001;
    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'processed' });
    expect(calls).toBe(2);

    stuck.resolve();
    // The first delivery finishes after losing its lease: it cannot complete the event, which stays processed.
    expect((await first).status).toBe(200);
    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(calls).toBe(2);
  });

  it('runs the built-in handler, then on() handlers, then onAny() handlers, and on() returns an unsubscribe', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const order: string[] = [];
    market.onAny((event) => {
      order.push(`any:${event.type}`);
    });
    market.on(['payment_intent.succeeded', 'payment_intent.processing'], (event, ctx) => {
      order.push(`on:${event.type}:${ctx.order?.status}`);
    });
    const off = market.on('payment_intent.succeeded', () => {
      order.push('removed');
    });
    off();

    await market.handleWebhook(sign(stripeEvent('payment_intent.processing', paymentIntent({ status: 'processing' }))));
    await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));

    expect(order).toEqual([
      'on:payment_intent.processing:processing',
      'any:payment_intent.processing',
      'on:payment_intent.succeeded:succeeded',
      'any:payment_intent.succeeded',
    ]);
  });

  it('refuses a handler registration that is not one', () => {
    const { market } = makeMarket();
    expect(() => market.on('*' as never, () => {})).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => market.on([] as never, () => {})).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => market.on('payment_intent.succeeded', 'nope' as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => market.onAny(undefined as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => market.onError(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('gives 500 when storage cannot claim the event, and tells onError', async () => {
    const broken: MarketplaceStorage = {
      ...memoryStorage(),
      claimEvent: async () => {
        throw new Error('connection refused');
      },
    };
    const { market } = makeMarket({ storage: broken });
    const handler = vi.fn();
    market.onAny(handler);
    const codes: string[] = [];
    market.onError((error) => {
      codes.push(error.code);
      throw new Error('a broken error handler is logged, not thrown');
    });

    const result = await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));

    expect(result).toMatchObject({ status: 500, outcome: 'failed' });
    expect(result.error).toMatch(/connection refused/);
    expect(codes).toEqual(['STORAGE_ERROR']);
    expect(handler).not.toHaveBeenCalled();
  });

  it('gives 500 when storage fails in a built-in handler or on completion, and the next delivery runs again', async () => {
    const memory = memoryStorage();
    let failUpdate = true;
    let failComplete = true;
    const flaky: MarketplaceStorage = {
      ...memory,
      update: async (kind, id, next, guard) => {
        if (failUpdate) {
          failUpdate = false;
          throw new Error('deadlock detected');
        }
        return memory.update(kind, id, next, guard);
      },
      settleEvent: async (eventId, token, settlement) => {
        if (failComplete && settlement.status === 'processed') {
          failComplete = false;
          throw new Error('connection reset');
        }
        return memory.settleEvent(eventId, token, settlement);
      },
    };
    const { market } = makeMarket({ storage: flaky });
    await seed(memory);
    let calls = 0;
    market.on('payment_intent.succeeded', () => {
      calls += 1;
    });
    const codes: string[] = [];
    market.onError((error) => {
      codes.push(error.code);
    });
    const request = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));

    const first = await market.handleWebhook(request);
    expect(first).toMatchObject({ status: 500, outcome: 'failed' });
    expect(first.error).toMatch(/deadlock detected/);
    expect(calls).toBe(0);

    const second = await market.handleWebhook(request);
    expect(second).toMatchObject({ status: 500, outcome: 'failed' });
    expect(second.error).toMatch(/connection reset/);
    expect(calls).toBe(1);

    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'processed' });
    expect(calls).toBe(2);
    expect(await market.handleWebhook(request)).toMatchObject({ status: 200, outcome: 'duplicate' });
    expect(codes).toEqual(['STORAGE_ERROR', 'STORAGE_ERROR']);
    expect((await market.getOrder('order_1001'))?.status).toBe('succeeded');
  });

  it('gives 500 (not 400) when no webhook secret is configured', async () => {
    const { market } = makeMarket({ webhookSecrets: undefined, livemode: undefined });
    const result = await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(result).toMatchObject({ status: 500, outcome: 'failed' });
    expect(result.error).toMatch(/webhookSecrets/);
  });

  it('rejects a correctly signed payload that is not an event', async () => {
    const { market } = makeMarket();
    for (const payload of ['not json', '{"id":"evt_1"}', '[]']) {
      const result = await market.handleWebhook(sign(null, { payload }));
      expect(result, payload).toMatchObject({ status: 400, outcome: 'rejected' });
      expect(result.error).toMatch(/not a Stripe (snapshot )?event/);
    }
  });
});

describe('handleWebhookRequest', () => {
  it('answers a web-standard Request with the same status and a JSON body', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const event = stripeEvent('payment_intent.succeeded', paymentIntent());
    const { body, signature } = sign(event);
    const request = () =>
      new Request('https://shop.example/api/stripe', {
        method: 'POST',
        body,
        headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
      });

    const first = await market.handleWebhookRequest(request());
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/application\/json/);
    expect(await first.json()).toEqual({ outcome: 'processed', eventId: event.id, type: event.type });

    const again = await market.handleWebhookRequest(request());
    expect(await again.json()).toEqual({ outcome: 'duplicate', eventId: event.id, type: event.type });
  });

  it('answers 500 instead of throwing when given something that is not a Request', async () => {
    const { market } = makeMarket();
    const response = await market.handleWebhookRequest({} as Request);
    expect(response.status).toBe(500);
  });

  it('answers 413 for a body over 1 MiB without reading all of it', async () => {
    const { market } = makeMarket();
    const huge = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const response = await market.handleWebhookRequest(
      new Request('https://shop.example/api/stripe', { method: 'POST', body: huge, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect((await response.json()).outcome).toBe('rejected');
  });

  it('answers 409 with Retry-After for an event another delivery is processing', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const gate = deferred();
    let entered = false;
    market.on('payment_intent.succeeded', () => {
      entered = true;
      return gate.promise;
    });
    const { body, signature } = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));
    const request = () => new Request('https://x.example/', { method: 'POST', body, headers: { 'stripe-signature': signature } });

    const first = market.handleWebhookRequest(request());
    await vi.waitFor(() => expect(entered).toBe(true));
    const second = await market.handleWebhookRequest(request());
    gate.resolve();

    expect(second.status).toBe(409);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await first).status).toBe(200);
  });
});
