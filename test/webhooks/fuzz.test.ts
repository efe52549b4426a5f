import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONNECT_SECRET, PLATFORM_SECRET, makeMarket, paymentIntent, seed, sign, stripeEvent } from './helpers.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('handleWebhook under malformed input', () => {
  it('never answers 2xx, never throws, and leaves no unhandled rejection for 10,000 malformed requests', async () => {
    const { market, storage } = makeMarket();
    await seed(storage);
    const handler = vi.fn();
    market.onAny(handler);

    const now = Math.floor(Date.now() / 1000);
    const valid = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));
    const encoder = new TextEncoder();

    // A body that differs from the signed one in at least one character.
    const mutatedBody = fc
      .record({ at: fc.nat({ max: valid.body.length - 1 }), char: fc.string({ minLength: 1, maxLength: 1 }) })
      .filter(({ at, char }) => valid.body[at] !== char)
      .map(({ at, char }) => valid.body.slice(0, at) + char + valid.body.slice(at + 1));
    const body = fc.oneof(
      mutatedBody,
      mutatedBody.map((text) => encoder.encode(text)),
      fc.string({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.json(),
      fc.constant(`${valid.body.trimEnd()} `),
      fc.constant(JSON.parse(valid.body) as unknown),
      fc.anything(),
    );

    const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 0, maxLength: 64 });
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.integer({ min: -1e12, max: 1e12 }), hex).map(([t, v1]) => `t=${t},v1=${v1}`),
      fc.tuple(fc.integer({ min: 0, max: now + 1000 }), hex, hex).map(([t, a, b]) => `t=${t},v1=${a},v0=${b},v1=${b}`),
      fc.string({ maxLength: 80 }).map((junk) => `${valid.signature}${junk}`),
      fc.constant(valid.signature.replace(/v1=./, 'v1=')),
      fc.constant(sign(JSON.parse(valid.body), { timestamp: now - 10_000 }).signature),
      fc.constant(sign(JSON.parse(valid.body), { secret: 'whsec_not_ours' }).signature),
      fc.constant(valid.signature),
      fc.anything(),
    );

    // Signed with a real secret, but not a Stripe event.
    const signedJunk = fc
      .tuple(fc.oneof(fc.string({ maxLength: 200 }), fc.json()), fc.constantFrom(PLATFORM_SECRET, CONNECT_SECRET))
      .filter(([payload]) => payload.length > 0)
      .map(([payload, secret]) => sign(null, { payload, secret }));

    const request = fc.oneof(
      { weight: 8, arbitrary: fc.record({ body, signature: header }) },
      { weight: 1, arbitrary: signedJunk },
      { weight: 1, arbitrary: fc.anything() },
    );

    // The only valid combination (the untouched body with its own signature) must never be generated.
    const isValidPair = (input: unknown) =>
      typeof input === 'object' &&
      input !== null &&
      (input as { body?: unknown }).body === valid.body &&
      (input as { signature?: unknown }).signature === valid.signature;

    let runs = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        fc.pre(!isValidPair(input));
        runs += 1;
        const result = await market.handleWebhook(input as never);
        statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
        expect(result.status).toBeGreaterThanOrEqual(400);
        expect(result.outcome).toBe('rejected');
      }),
      { numRuns: 10_000, seed: 20_260_301 },
    );

    await new Promise((resolve) => setImmediate(resolve));
    expect(runs).toBeGreaterThanOrEqual(10_000);
    expect(statuses.size).toBe(1);
    expect(statuses.get(400)).toBe(runs);
    expect(handler).not.toHaveBeenCalled();
    expect(unhandled).toEqual([]);
    expect((await market.getOrder('order_1001'))?.status).toBe('pending');
  });
});
