import { describe, expect, it } from 'vitest';
import { ACCOUNT_ID, CONNECT_SECRET, makeMarket, seed, sign, stripeEvent } from '../webhooks/helpers.js';

const throwing = () => {
  throw new Error('logger down');
};

describe('handleWebhook answers, whatever the logger or the clock does', () => {
  it('answers when every logger method throws, on success, rejection and failure', async () => {
    const logger = { debug: throwing, info: throwing, warn: throwing, error: throwing };
    const { market: m } = makeMarket({ logger });
    m.on('payment_intent.created', () => {
      throw new Error('handler down');
    });
    m.onError(() => {
      throw new Error('onError down');
    });
    const event = stripeEvent('payment_intent.created', { id: 'pi_1' });
    expect(await m.handleWebhook(sign(event))).toMatchObject({ status: 500, outcome: 'failed' });
    expect(await m.handleWebhook({ body: '{}', signature: 't=1,v1=00' })).toMatchObject({ status: 400 });
    expect(await m.handleWebhook(null as never)).toMatchObject({ status: 400 });
  });

  it('turns anything unexpected into a 500 instead of throwing', async () => {
    const { market: m } = makeMarket({
      now: () => {
        throw new Error('clock down');
      },
    });
    const event = stripeEvent('payment_intent.created', { id: 'pi_1' });
    expect(await m.handleWebhook(sign(event))).toMatchObject({
      status: 500,
      outcome: 'failed',
      error: expect.stringContaining('clock down'),
    });
  });
});

describe('a Connect event of a type with no projection of its own', () => {
  it("gives the handlers the vendor of the event's account", async () => {
    const { market: m, storage } = makeMarket();
    await seed(storage);
    const seen: unknown[] = [];
    m.on('capability.updated', (_event, ctx) => {
      seen.push(ctx.vendor?.vendorId);
    });
    const event = stripeEvent('capability.updated', { id: 'transfers', object: 'capability' }, { account: ACCOUNT_ID });
    expect(await m.handleWebhook(sign(event, { secret: CONNECT_SECRET }))).toMatchObject({ status: 200 });
    expect(seen).toEqual(['driver_42']);
  });
});
