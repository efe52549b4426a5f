// Webhook throughput: market.handleWebhook (memory storage, one no-op handler) against a bare
// stripe.webhooks.constructEventAsync, on the same signed payloads. Each round signs fresh events
// (unique ids), so the library really processes each one instead of answering "duplicate".
import Stripe from 'stripe';
import { Marketplace, memoryStorage, percentage } from 'stripe-marketplace';
import { alternate, fmt, median, ratioOf } from './lib.mjs';

const SECRET = 'whsec_bench_0123456789abcdef';
const EVENTS_PER_ROUND = 5000;
const ROUNDS = 21;
// Issue 10: handleWebhook at least 0.9x constructEventAsync alone.
const TARGET = 0.9;
const NAME = 'In memory: handleWebhook throughput';

function signedPayloads(stripe, round) {
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: EVENTS_PER_ROUND }, (_, i) => {
    const payload = JSON.stringify({
      id: `evt_bench_${round}_${i}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: timestamp,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'payment_intent.succeeded',
      data: {
        object: {
          id: `pi_bench_${round}_${i}`,
          object: 'payment_intent',
          amount: 2000,
          currency: 'gbp',
          status: 'succeeded',
          metadata: {},
        },
      },
    });
    return {
      body: Buffer.from(payload),
      signature: stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp }),
    };
  });
}

export async function benchWebhook() {
  const stripe = new Stripe('sk_test_bench');
  const probe = new Marketplace({ stripe, storage: memoryStorage(), commission: percentage(12) });
  if (typeof probe.handleWebhook !== 'function') {
    return {
      name: NAME,
      value: null,
      target: `>= ${TARGET}x`,
      met: null,
      detail:
        'not measured: this build has no market.handleWebhook yet (bench/webhook.mjs is written against its documented API)',
    };
  }
  const payloads = new Map();
  const markets = new Map();
  const prepare = (round) => {
    if (!payloads.has(round)) {
      payloads.set(round, signedPayloads(stripe, round));
      const market = new Marketplace({
        stripe,
        storage: memoryStorage(),
        commission: percentage(12),
        webhookSecrets: { platform: SECRET },
        livemode: false,
      });
      market.on('payment_intent.succeeded', async () => {});
      markets.set(round, market);
    }
    return { events: payloads.get(round), market: markets.get(round) };
  };
  // Sanity check outside the timing: the library accepts and processes these payloads.
  const check = prepare(-1);
  const result = await check.market.handleWebhook(check.events[0]);
  if (result.status !== 200) throw new Error(`handleWebhook answered ${JSON.stringify(result)} to a valid payload`);

  for (let round = 0; round < ROUNDS + 1; round++) prepare(round);
  const times = await alternate({
    rounds: ROUNDS,
    baseline: async (round) => {
      for (const { body, signature } of payloads.get(round)) await stripe.webhooks.constructEventAsync(body, signature, SECRET);
    },
    subject: async (round) => {
      const market = markets.get(round);
      for (const event of payloads.get(round)) await market.handleWebhook(event);
    },
  });
  const ratio = ratioOf(times, { invert: true });
  const perSecond = (ms) => Math.round((EVENTS_PER_ROUND / ms) * 1000);
  return {
    name: NAME,
    value: ratio.median,
    display: `${fmt(ratio.median)}x`,
    target: `>= ${TARGET}x`,
    met: ratio.median >= TARGET,
    detail:
      `handleWebhook / constructEventAsync events per second, median of ${ROUNDS} rounds of ${EVENTS_PER_ROUND} events ` +
      `(rounds ${fmt(ratio.min)}–${fmt(ratio.max)}; ~${perSecond(median(times.subject))} vs ~${perSecond(median(times.baseline))} events/s, ` +
      `so ~${fmt(((median(times.subject) - median(times.baseline)) / EVENTS_PER_ROUND) * 1000, 1)} µs per event on top of verification). ` +
      `The whole round runs without returning to the event loop (verification is synchronous under its promises), so ` +
      `the garbage collector's pauses (2–7 ms per side, --trace-gc) land in whichever side is running and single rounds ` +
      `swing; the median over alternated rounds is the figure`,
  };
}
