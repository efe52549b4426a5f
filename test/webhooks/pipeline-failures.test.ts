import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/index.js';
import type { InboxEvent, MarketplaceStorage } from '../../src/index.js';
import { makeMarket, paymentIntent, seed, sign, stripeEvent } from './helpers.js';

/** Every way the pipeline's storage can fail or lose a race, and what each delivery, worker and replay answers. */
function logs() {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('the webhook pipeline when storage fails or a claim is lost', () => {
  it('answers 500 and reports STORAGE_ERROR when the event cannot be claimed', async () => {
    const memory = memoryStorage();
    const storage: MarketplaceStorage = {
      ...memory,
      claimEvent: async () => {
        throw new Error('connection refused');
      },
    };
    const { market } = makeMarket({ storage });
    const codes: string[] = [];
    market.onError((error) => void codes.push(error.code));
    const result = await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(result).toMatchObject({ status: 500, outcome: 'failed', error: expect.stringMatching(/connection refused/) });
    expect(codes).toEqual(['STORAGE_ERROR']);
  });

  it('still answers 500 when recording the failure fails too, and logs it', async () => {
    const memory = memoryStorage();
    const storage: MarketplaceStorage = {
      ...memory,
      settleEvent: async () => {
        throw new Error('the database went away');
      },
    };
    const { lines, logger } = logs();
    const { market } = makeMarket({ storage, logger });
    await seed(memory);
    market.on('payment_intent.succeeded', () => {
      throw new Error('handler failed');
    });
    const result = await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(result).toMatchObject({ status: 500, outcome: 'failed', error: expect.stringMatching(/handler failed/) });
    expect(lines.some((l) => l.level === 'error' && /could not record the webhook failure/.test(l.message))).toBe(true);
  });

  it('warns when the lease ended and another delivery took the event over before completion', async () => {
    const memory = memoryStorage();
    const storage: MarketplaceStorage = { ...memory, settleEvent: async () => false };
    const { lines, logger } = logs();
    const { market } = makeMarket({ storage, logger });
    await seed(memory);
    expect(await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())))).toMatchObject({
      status: 200,
      outcome: 'processed',
    });
    expect(lines.some((l) => l.level === 'warn' && /lease expired/.test(l.message))).toBe(true);
  });

  it('rolls back and answers 409 when, in a transaction, the claim was taken over before it settled', async () => {
    const memory = memoryStorage();
    const transaction = memory.transaction?.bind(memory);
    if (!transaction) throw new Error('memoryStorage has transactions');
    const storage: MarketplaceStorage = {
      ...memory,
      transaction: (fn) => transaction((tx) => fn({ ...tx, settleEvent: async () => false, transaction: tx.transaction })),
    };
    const { lines, logger } = logs();
    const { market } = makeMarket({ storage, logger, webhookMode: 'inbox', webhookTransactions: true, eventLeaseMs: 5_000 });
    await seed(memory);
    await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(await market.events.work({ stopWhenIdle: true })).toEqual({ processed: 0, duplicates: 1, failed: 0, skipped: 0 });
    expect(lines.some((l) => l.level === 'warn' && /rolled back/.test(l.message))).toBe(true);
    // Rolled back: the order did not move.
    expect((await market.getOrder('order_1001'))?.status).toBe('pending');
  });

  it('answers 500 for an input that throws when read, never throwing itself', async () => {
    const { market } = makeMarket();
    const input = {
      get body(): string {
        throw new Error('stream already read');
      },
      signature: 't=1,v1=00',
    };
    expect(await market.handleWebhook(input as never)).toMatchObject({ status: 500, outcome: 'failed' });
  });
});

describe('the inbox worker and replay, on events they cannot run', () => {
  const noPayload = (event: InboxEvent): InboxEvent => ({ ...event, payload: null });

  it('marks an event without a stored payload failed and counts it skipped', async () => {
    const memory = memoryStorage();
    const settled: string[] = [];
    const storage: MarketplaceStorage = {
      ...memory,
      claimNextEvents: async (options) =>
        (await memory.claimNextEvents(options)).map((c) => ({ ...c, event: noPayload(c.event) })),
      settleEvent: async (id, token, settlement) => {
        settled.push(`${settlement.status}${settlement.status === 'failed' ? `: ${settlement.error}` : ''}`);
        return memory.settleEvent(id, token, settlement);
      },
    };
    const { market } = makeMarket({ storage, webhookMode: 'inbox' });
    await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(await market.events.work({ stopWhenIdle: true })).toEqual({ processed: 0, duplicates: 0, failed: 0, skipped: 1 });
    expect(settled).toEqual([expect.stringMatching(/^failed: no payload is stored/)]);
  });

  it('skips a failed event without a payload on replay, with a warning', async () => {
    const memory = memoryStorage();
    const storage: MarketplaceStorage = {
      ...memory,
      listEvents: async (query) => (await memory.listEvents(query)).map(noPayload),
    };
    const { lines, logger } = logs();
    const { market } = makeMarket({ storage, logger });
    await seed(memory);
    market.on('payment_intent.succeeded', () => {
      throw new Error('down');
    });
    await market.handleWebhook(sign(stripeEvent('payment_intent.succeeded', paymentIntent())));
    expect(await market.events.replayFailed()).toEqual({ processed: 0, duplicates: 0, failed: 0, skipped: 1 });
    expect(lines.some((l) => l.level === 'warn' && /no stored payload/.test(l.message))).toBe(true);
  });

  it('keeps polling when claiming fails, and rejects at once when asked to stop when idle', async () => {
    const memory = memoryStorage();
    let calls = 0;
    const storage: MarketplaceStorage = {
      ...memory,
      claimNextEvents: async () => {
        calls += 1;
        throw new Error('connection reset');
      },
    };
    const { lines, logger } = logs();
    const { market } = makeMarket({ storage, logger, webhookMode: 'inbox' });
    await expect(market.events.work({ stopWhenIdle: true })).rejects.toThrow(/connection reset/);
    const controller = new AbortController();
    const running = market.events.work({ signal: controller.signal, pollMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    controller.abort();
    await running;
    expect(calls).toBeGreaterThan(2);
    expect(lines.filter((l) => /could not claim events/.test(l.message)).length).toBe(calls);
  });
});

describe('the inbox payload', () => {
  it('is the body Stripe signed, byte for byte, not the event serialised again', async () => {
    const { market } = makeMarket({ webhookMode: 'inbox' });
    const request = sign(stripeEvent('payment_intent.succeeded', paymentIntent())); // pretty-printed, as Stripe sends it
    expect(
      await market.handleWebhook({ body: new TextEncoder().encode(request.body), signature: request.signature }),
    ).toMatchObject({
      status: 200,
      outcome: 'queued',
    });
    const [stored] = await market.events.list();
    expect(stored?.payload).toBe(request.body);
  });
});
