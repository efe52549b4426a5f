// Call overhead: market.createCheckout against a direct stripe.paymentIntents.create with the same
// parameters, both through one Stripe client talking to the same local HTTP responder, which answers
// every request with a canned PaymentIntent.
import { once } from 'node:events';
import { createServer } from 'node:http';
import Stripe from 'stripe';
import { Marketplace, memoryStorage, percentage, vendorStateFromAccount } from 'stripe-marketplace';
import { alternate, fmt, median, ratioOf } from './lib.mjs';

const CALLS_PER_ROUND = 400;
const ROUNDS = 15;
const ACCOUNT = 'acct_bench';

const CANNED_INTENT = JSON.stringify({
  id: 'pi_bench',
  object: 'payment_intent',
  amount: 2000,
  currency: 'gbp',
  application_fee_amount: 240,
  automatic_payment_methods: { enabled: true },
  client_secret: 'pi_bench_secret_bench',
  livemode: false,
  metadata: {},
  status: 'requires_payment_method',
  transfer_data: { destination: ACCOUNT },
});

async function startResponder() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_bench' });
      res.end(CANNED_INTENT);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function activeVendorStorage() {
  const storage = memoryStorage();
  const now = Date.now();
  await storage.insertVendor({
    vendorId: 'vendor_bench',
    accountId: ACCOUNT,
    connection: 'account_link',
    createdAt: now,
    updatedAt: now,
    ...vendorStateFromAccount({
      id: ACCOUNT,
      object: 'account',
      details_submitted: true,
      charges_enabled: true,
      payouts_enabled: true,
      capabilities: { transfers: 'active' },
      requirements: { currently_due: [], past_due: [], eventually_due: [], pending_verification: [], disabled_reason: null },
    }),
  });
  return storage;
}

/**
 * createCheckout's own cost, without HTTP: the same calls against a stub client whose
 * paymentIntents.create answers at once. Reported next to the ratio, to show where the time goes.
 */
async function ownCostPerCall() {
  const intent = JSON.parse(CANNED_INTENT);
  const stub = {
    paymentIntents: { create: async () => intent, retrieve: async () => intent },
    webhooks: { constructEventAsync: async () => ({}) },
  };
  const market = new Marketplace({ stripe: stub, storage: await activeVendorStorage(), commission: percentage(12) });
  const batch = async (label) => {
    const started = performance.now();
    for (let i = 0; i < CALLS_PER_ROUND; i++) {
      await market.createCheckout({ orderId: `stub_${label}_${i}`, vendorId: 'vendor_bench', amount: 2000, currency: 'gbp' });
    }
    return ((performance.now() - started) / CALLS_PER_ROUND) * 1000;
  };
  for (let round = 0; round < 3; round++) await batch(`warmup_${round}`);
  const samples = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(await batch(round));
  return median(samples);
}

export async function benchCheckout() {
  const server = await startResponder();
  try {
    const stripe = new Stripe('sk_test_bench', {
      host: '127.0.0.1',
      port: server.address().port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    // A fresh store each round (set up untimed), so that every round starts from the same heap: orders
    // piling up in one memory store would slow the garbage collector, not the library.
    const newMarket = async () => new Marketplace({ stripe, storage: await activeVendorStorage(), commission: percentage(12) });
    let market = await newMarket();
    const first = await market.createCheckout({
      orderId: 'order_bench_check',
      vendorId: 'vendor_bench',
      amount: 2000,
      currency: 'gbp',
    });
    if (first.applicationFeeAmount !== 240 || first.clientSecret !== 'pi_bench_secret_bench') {
      throw new Error(`unexpected checkout result ${JSON.stringify(first)}`);
    }
    const times = await alternate({
      rounds: ROUNDS,
      warmup: 2,
      before: async () => {
        market = await newMarket();
      },
      baseline: async (round) => {
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          const orderId = `order_direct_${round}_${i}`;
          // The parameters createCheckout sends for 2000 gbp at 12 %.
          await stripe.paymentIntents.create(
            {
              amount: 2000,
              currency: 'gbp',
              application_fee_amount: 240,
              transfer_data: { destination: ACCOUNT },
              automatic_payment_methods: { enabled: true },
              metadata: { order_id: orderId, vendor_id: 'vendor_bench' },
            },
            { idempotencyKey: `checkout:${orderId}` },
          );
        }
      },
      subject: async (round) => {
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          await market.createCheckout({
            orderId: `order_${round}_${i}`,
            vendorId: 'vendor_bench',
            amount: 2000,
            currency: 'gbp',
          });
        }
      },
    });
    const ratio = ratioOf(times);
    const ownCost = await ownCostPerCall();
    const perCall = (ms) => fmt((ms / CALLS_PER_ROUND) * 1000, 0);
    return {
      name: 'Call overhead',
      value: ratio.median,
      display: fmt(ratio.median),
      target: '<= 1.10',
      met: ratio.median <= 1.1,
      detail:
        `createCheckout / paymentIntents.create time per call, median of ${ROUNDS} rounds of ${CALLS_PER_ROUND} calls ` +
        `(rounds ${fmt(ratio.min)}–${fmt(ratio.max)}; ~${perCall(median(times.subject))} vs ~${perCall(median(times.baseline))} µs per call). ` +
        `createCheckout alone, against a stub client that answers at once: ~${fmt(ownCost, 0)} µs per call`,
    };
  } finally {
    server.close();
  }
}
