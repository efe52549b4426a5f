// Sandbox flow: one onboard, pay, webhook and refund flow against the offline sandbox in process, against a
// baseline of the same stripe-node calls answered with canned bodies (no simulation) and the same webhook handler
// called with a canned event. The difference is what the sandbox itself costs per flow.
import Stripe from 'stripe';
import { createSandbox } from 'stripe-marketplace/testing';
import { alternate, fmt, median, ratioOf } from './lib.mjs';

const FLOWS_PER_ROUND = 100;
const ROUNDS = 15;
const EXPRESS = {
  stripe_dashboard: { type: 'express' },
  fees: { payer: 'application' },
  losses: { payments: 'application' },
  requirement_collection: 'stripe',
};

/** One flow: onboard a vendor, take a destination charge, deliver its webhooks, refund it with its transfer and fee. */
async function flow(stripe, onboard, flush) {
  const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
  onboard(account.id);
  const intent = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'gbp',
    application_fee_amount: 240,
    transfer_data: { destination: account.id },
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  await flush();
  await stripe.refunds.create({ payment_intent: intent.id, reverse_transfer: true, refund_application_fee: true });
  await flush();
}

const keyOf = (path) =>
  path.startsWith('/v1/accounts') ? 'account' : path.startsWith('/v1/payment_intents') ? 'intent' : 'refund';

/**
 * A stripe-node HttpClient that answers each kind of request with a canned body. With `recordFrom` (a sandbox), it
 * asks the sandbox instead and keeps each answer as the canned body.
 */
class CannedClient extends Stripe.HttpClient {
  constructor(bodies, recordFrom = null) {
    super();
    this.bodies = bodies;
    this.recordFrom = recordFrom;
  }
  getClientName() {
    return 'canned';
  }
  async makeRequest(host, _port, path, method, headers, data) {
    if (this.recordFrom) {
      const raw = await this.recordFrom.handleApiRequest({ method, host, path, headers, body: data ?? '' });
      this.bodies[keyOf(path)] = raw.body;
    }
    const body = this.bodies[keyOf(path)];
    return new (class extends Stripe.HttpClientResponse {
      constructor() {
        super(200, { 'content-type': 'application/json', 'request-id': 'req_canned' });
      }
      getRawResponse() {
        return { body };
      }
      toStream() {
        throw new Error('not used');
      }
      toJSON() {
        return Promise.resolve().then(() => JSON.parse(body));
      }
    })();
  }
}

export async function benchSandboxFlow() {
  let delivered = 0;
  const handler = async () => {
    delivered += 1;
    return { status: 200 };
  };
  // Record one real flow's answers for the baseline, and how many events a flow delivers.
  const probe = createSandbox({ webhooks: { autoDeliver: false } });
  probe.addWebhookEndpoint({ handler });
  probe.addWebhookEndpoint({ handler, connect: true });
  const bodies = {};
  const recorder = new Stripe('sk_test_bench', { httpClient: new CannedClient(bodies, probe), maxNetworkRetries: 0 });
  await flow(
    recorder,
    (id) => probe.completeOnboarding(id),
    () => probe.flushWebhooks(),
  );
  const eventsPerFlow = delivered;
  probe.close();

  const canned = new Stripe('sk_test_bench', { httpClient: new CannedClient(bodies), maxNetworkRetries: 0 });
  const cannedEvent = Buffer.from(JSON.stringify({ id: 'evt_canned', object: 'event' }));
  const cannedFlush = async () => {
    for (let i = 0; i < eventsPerFlow / 2; i++) await handler(cannedEvent, 't=0,v1=canned');
  };

  let sandbox;
  let stripe;
  const times = await alternate({
    rounds: ROUNDS,
    warmup: 2,
    before: async () => {
      sandbox?.close();
      sandbox = createSandbox({ webhooks: { autoDeliver: false } });
      sandbox.addWebhookEndpoint({ handler });
      sandbox.addWebhookEndpoint({ handler, connect: true });
      stripe = sandbox.stripe();
    },
    baseline: async () => {
      for (let i = 0; i < FLOWS_PER_ROUND; i++) await flow(canned, () => {}, cannedFlush);
    },
    subject: async () => {
      for (let i = 0; i < FLOWS_PER_ROUND; i++)
        await flow(
          stripe,
          (id) => sandbox.completeOnboarding(id),
          () => sandbox.flushWebhooks(),
        );
    },
  });
  sandbox?.close();
  const perFlow = median(times.subject) / FLOWS_PER_ROUND;
  const basePerFlow = median(times.baseline) / FLOWS_PER_ROUND;
  const ratio = ratioOf(times);
  return {
    name: 'Sandbox flow',
    value: perFlow,
    display: `${fmt(perFlow, 3)} ms`,
    target: '<= 1 ms per flow',
    met: perFlow <= 1,
    detail:
      `one onboard, pay (destination charge with fee), webhook (${eventsPerFlow} deliveries to in-process handlers) and ` +
      `refund (reverse_transfer, refund_application_fee) flow through stripe-node against the sandbox in process, median ` +
      `of ${ROUNDS} rounds of ${FLOWS_PER_ROUND} flows, each round on a fresh sandbox; the baseline sends the same calls ` +
      `through stripe-node to canned answers: ${fmt(basePerFlow, 3)} ms per flow, so the sandbox costs ` +
      `${fmt(ratio.median)}x the client alone (rounds ${fmt(ratio.min)}–${fmt(ratio.max)}), ~${fmt(perFlow - basePerFlow, 3)} ms per flow`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchSandboxFlow();
  console.log(`${result.name}: ${result.display} (target ${result.target})\n  ${result.detail}`);
}
