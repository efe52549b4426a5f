/**
 * `npm run demo`: the story this library exists for, through its public API.
 *
 * Without STRIPE_SECRET_KEY it runs offline against the sandbox from `stripe-marketplace/testing`. With a test-mode
 * key (sk_test_...) it runs the same steps against real Stripe test mode (see the README, "Run the demo").
 */
import Stripe from 'stripe';
import { Marketplace, formatAmount, isMarketplaceError, memoryStorage, percentage, type WebhookResult } from '../src/index.js';
import { createSandbox, type StripeSandbox } from '../src/testing/index.js';

const CURRENCY = 'gbp';
const AMOUNT = 2000; // £20.00
const REFUND = 500; // £5.00
const VENDOR = 'driver_42';
const ORDER = `ride_${Date.now()}`;
const SITE = 'https://marketplace.example';

const money = (amount: number) => {
  const text = formatAmount(Math.abs(amount), CURRENCY).replace(/ GBP$/, '');
  return `${amount < 0 ? '-' : ''}£${text}`;
};
const say = (line = '') => process.stdout.write(`${line}\n`);

class DemoFailure extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoFailure(message);
}

interface Mode {
  name: string;
  stripe: Stripe;
  sandbox: StripeSandbox | null;
  webhookSecrets: { platform: string; connect: string };
}

function sandboxMode(): Mode {
  const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
  return {
    name: 'the offline sandbox (no key, no network)',
    stripe: sandbox.stripe(),
    sandbox,
    webhookSecrets: { platform: '', connect: '' },
  };
}

function stripeMode(key: string): Mode {
  if (!key.startsWith('sk_test_') && !key.startsWith('rk_test_')) {
    throw new DemoFailure(
      'STRIPE_SECRET_KEY must be a test-mode key (sk_test_...); the demo moves money and never runs with a live key.',
    );
  }
  // Stripe cannot reach this machine, so the demo signs the real events it reads back with a secret of its own,
  // exactly as Stripe signs deliveries, and hands them to handleWebhook.
  const secret = `whsec_demo_${Math.random().toString(36).slice(2)}`;
  return {
    name: 'Stripe test mode',
    stripe: new Stripe(key),
    sandbox: null,
    webhookSecrets: { platform: secret, connect: secret },
  };
}

async function main(): Promise<void> {
  const key = process.env.STRIPE_SECRET_KEY;
  const mode = key ? stripeMode(key) : sandboxMode();
  const { stripe, sandbox } = mode;
  const deliveries: string[] = [];
  const deliver = async (body: string, signature: string): Promise<WebhookResult> => {
    const result = await market.handleWebhook({ body, signature });
    deliveries.push(`${result.type ?? '(unverified)'} -> ${result.status} ${result.outcome}`);
    return result;
  };
  if (sandbox) {
    mode.webhookSecrets.platform = sandbox.addWebhookEndpoint({ handler: deliver }).secret;
    mode.webhookSecrets.connect = sandbox.addWebhookEndpoint({ handler: deliver, connect: true }).secret;
  }
  const market: Marketplace = new Marketplace({
    stripe,
    storage: memoryStorage(),
    commission: percentage(12),
    webhookSecrets: mode.webhookSecrets,
    livemode: false,
  });

  /** Delivers the events Stripe sent since the last call: the sandbox's queue, or real events read back from Stripe. */
  const seen = new Set<string>();
  const since = Math.floor(Date.now() / 1000) - 5;
  async function receiveWebhooks(types: string[]): Promise<void> {
    deliveries.length = 0;
    if (sandbox) {
      const { failed } = await sandbox.flushWebhooks();
      check(failed.length === 0, `a webhook delivery failed: ${JSON.stringify(failed)}`);
    } else {
      // Stripe records events right after the request; give it a few seconds before giving up.
      let events: Stripe.Event[] = [];
      for (let tries = 0; tries < 15; tries++) {
        events = (await stripe.events.list({ types, created: { gte: since }, limit: 100 })).data.filter((e) => !seen.has(e.id));
        if (types.every((type) => events.some((e) => e.type === type))) break;
        await new Promise((r) => setTimeout(r, 2_000));
      }
      check(
        types.every((type) => events.some((e) => e.type === type)),
        `Stripe did not record ${types.join(', ')} within 30 seconds`,
      );
      for (const event of [...events].reverse()) {
        if (seen.has(event.id)) continue;
        seen.add(event.id);
        const body = JSON.stringify(event, null, 2);
        const signature = await stripe.webhooks.generateTestHeaderStringAsync({
          payload: body,
          secret: mode.webhookSecrets.platform,
        });
        await deliver(body, signature);
      }
    }
    for (const line of deliveries) say(`    webhook ${line}`);
    check(
      deliveries.every((d) => !/ (4|5)\d\d /.test(d)),
      'a signed webhook was refused by handleWebhook',
    );
  }

  say(`stripe-marketplace demo, against ${mode.name}`);
  say();

  // 1. Onboard a driver.
  say('1. A driver signs up');
  const { url, accountId } = await market.onboardVendor({
    vendorId: VENDOR,
    country: 'GB',
    email: 'driver42@example.com',
    returnUrl: `${SITE}/onboarding/return`,
    refreshUrl: `${SITE}/onboarding/refresh`,
  });
  say(`    connected account ${accountId}; onboarding link ${url}`);
  if (sandbox) {
    // The driver opens the link and completes Stripe's form; the sandbox redirects to returnUrl.
    await sandbox.fetch(new Request(url));
    const back = await sandbox.fetch(
      new Request(url, {
        method: 'POST',
        body: 'action=complete',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    say(`    the driver completed the form and came back to ${back.headers.get('location')}`);
    await receiveWebhooks([]);
  } else {
    say("    Open the link above in a browser and complete onboarding with Stripe's test values. Waiting (up to 15 minutes)...");
    const deadline = Date.now() + 15 * 60_000;
    while ((await market.completeOnboarding({ vendorId: VENDOR })).status !== 'active') {
      check(Date.now() < deadline, 'the driver did not finish onboarding within 15 minutes');
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
  const vendor = await market.completeOnboarding({ vendorId: VENDOR });
  check(vendor.status === 'active', `the driver should be active after onboarding, but is ${vendor.status}`);
  say(
    `    driver status: ${vendor.status} (transfers ${vendor.transfersCapability}, payouts ${vendor.payoutsEnabled ? 'enabled' : 'disabled'})`,
  );
  say();

  // 2. A £20.00 checkout with a 12 % commission.
  say(`2. A customer books a ${money(AMOUNT)} ride (order ${ORDER}); the platform keeps 12 %`);
  const checkout = await market.createCheckout({ orderId: ORDER, vendorId: VENDOR, amount: AMOUNT, currency: CURRENCY });
  say(
    `    PaymentIntent ${checkout.paymentIntentId}: application fee ${money(checkout.applicationFeeAmount)}, driver ${money(checkout.vendorAmount)}`,
  );
  say();

  // 3. Pay with a test card.
  // In test mode, pm_card_bypassPending makes the funds available at once, so that the refund below can reverse the
  // transfer from the driver's balance; the sandbox settles every payment at once.
  const card = sandbox ? 'pm_card_visa' : 'pm_card_bypassPending';
  say(`3. The customer pays with a test card (${card})`);
  const paid = await stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: card,
    return_url: `${SITE}/paid`,
  });
  check(paid.status === 'succeeded', `the payment should succeed, but its status is ${paid.status}`);
  say(`    payment ${paid.status}`);
  say();

  // 4. Receive the signed webhook.
  say('4. Stripe tells the platform, with signed webhooks');
  await receiveWebhooks(['payment_intent.succeeded', 'charge.succeeded']);
  const order = await market.getOrder(ORDER);
  check(order?.status === 'succeeded', `the order should be paid after the webhook, but is ${order?.status}`);
  say();

  // 5. What happened.
  say('5. What happened');
  say(`    order ${order.orderId}: paid ${money(order.amount)}`);
  say(`    platform fee:     ${money(order.applicationFeeAmount)}`);
  say(`    driver receives:  ${money(order.vendorAmount)}`);
  check(order.applicationFeeAmount === 240 && order.vendorAmount === 1760, 'the split should be £2.40 / £17.60');
  say();

  // Each account's balance in the charge currency: available (plus pending, in Stripe test mode).
  async function balances(): Promise<{ platform: number; driver: number }> {
    if (sandbox) {
      const of = (account: string) =>
        sandbox.balances().find((b) => b.account === account && b.currency === CURRENCY)?.available ?? 0;
      return { platform: of('platform'), driver: of(accountId) };
    }
    const total = async (options: Stripe.RequestOptions) => {
      const balance = await stripe.balance.retrieve({}, options);
      const sum = (list: Stripe.Balance.Available[]) =>
        list.filter((b) => b.currency === CURRENCY).reduce((n, b) => n + b.amount, 0);
      return sum(balance.available) + sum(balance.pending);
    };
    return { platform: await total({}), driver: await total({ stripeAccount: accountId }) };
  }

  // 6. A partial refund through the library: the default refund policy claws back the driver's share and returns the
  // platform's fee in proportion, with explicit amounts.
  say(`6. The customer is refunded ${money(REFUND)} of the ride (market.refund, default policy)`);
  const before = await balances();
  const refund = await market.refund({ orderId: ORDER, refundId: 'refund_1', amount: REFUND, reason: 'requested_by_customer' });
  const part = refund.parts?.[0];
  check(
    refund.status === 'succeeded' && part?.vendorBears === 440 && part.feeReturned === 60,
    `the driver should give back £4.40 and the platform return £0.60 of its fee, got ${JSON.stringify(part)}`,
  );
  say(`    refund ${refund.stripeRefundId}: ${money(REFUND)} to the customer (idempotency key refund:${ORDER}:refund_1)`);
  say(
    `    the driver gives back ${money(part.vendorBears)}; the platform returns ${money(part.feeReturned)} of its fee (${money(part.platformBears)} borne by the platform)`,
  );
  for (const m of refund.transferReversals ?? []) say(`    transfer reversal ${m.id}: ${money(m.amount)}`);
  for (const m of refund.feeRefunds ?? []) say(`    application fee refund ${m.id}: ${money(m.amount)}`);
  const again = await market.refund({ orderId: ORDER, refundId: 'refund_1', amount: REFUND, reason: 'requested_by_customer' });
  check(again.stripeRefundId === refund.stripeRefundId, 'the same refund call twice should be one refund');
  say('    the same call again returns the same refund (no second refund)');
  await receiveWebhooks(['refund.created', 'charge.refunded']);
  const refunded = await market.getOrder(ORDER);
  check(
    refunded?.status === 'partially_refunded' && refunded.amountRefunded === REFUND,
    `the order should be partially refunded, but is ${refunded?.status}`,
  );
  say(`    order ${refunded.orderId}: ${refunded.status}, ${money(refunded.amountRefunded)} refunded`);
  say();

  // 7. Balances before and after the refund.
  say('7. Balances before and after the refund');
  const after = await balances();
  if (sandbox) {
    check(
      before.platform === 240 && before.driver === 1760 && after.platform === 180 && after.driver === 1320,
      `balances should go from £2.40/£17.60 to £1.80/£13.20, got ${JSON.stringify({ before, after })}`,
    );
  }
  const rows: [string, number, number][] = [
    ['platform', before.platform, after.platform],
    [`driver (${accountId})`, before.driver, after.driver],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  say(`    ${'account'.padEnd(width)}  currency  ${'before'.padStart(8)}  ${'after'.padStart(8)}  ${'change'.padStart(8)}`);
  for (const [account, b, a] of rows) {
    say(
      `    ${account.padEnd(width)}  ${CURRENCY.toUpperCase().padEnd(8)}  ${money(b).padStart(8)}  ${money(a).padStart(8)}  ${money(a - b).padStart(8)}`,
    );
  }
  if (!sandbox) say('    (Stripe test mode: available plus pending)');
  say();
  say('Done: the customer paid £20.00, the driver got £17.60, the platform kept £2.40, and the refund came back proportionally.');
  await sandbox?.close();
}

main().catch((error: unknown) => {
  const reason =
    error instanceof DemoFailure
      ? error.message
      : isMarketplaceError(error)
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
  process.stderr.write(`\ndemo failed: ${reason}\n`);
  process.exitCode = 1;
});
