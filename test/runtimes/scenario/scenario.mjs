// The scenario every runtime runs against the packed package: onboard a vendor, check out, pay in the sandbox,
// deliver the signed events to handleWebhookRequest, then a tampered body. It imports nothing itself: each
// runtime's entry passes the modules it loaded, so that the same code runs under Node, Bun, Deno and workerd.
// Throws on the first difference; returns what it saw.

const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

function check(condition, message) {
  if (!condition) throw new Error(`runtime scenario: ${message}`);
}

/**
 * @param {{ lib: typeof import('stripe-marketplace'), testing: typeof import('stripe-marketplace/testing'),
 *   listen: 'serves' | 'refuses' }} options `listen`: whether `sandbox.listen()` must serve (the `node` condition)
 *   or refuse with the stub's error (workerd without Node compatibility).
 */
export async function runScenario({ lib, testing, listen }) {
  const { Marketplace, memoryStorage, percentage } = lib;
  const sandbox = testing.createSandbox({ webhooks: { autoDeliver: false } });
  const delivered = [];
  // Each signed delivery goes through the web-standard entry point, as a Worker's or Deno's route would call it.
  const deliver = async (body, signature) => {
    const response = await market.handleWebhookRequest(webhookRequest(body, signature));
    delivered.push({ body, signature, status: response.status });
    return { status: response.status };
  };
  const platform = sandbox.addWebhookEndpoint({ handler: deliver });
  const connect = sandbox.addWebhookEndpoint({ handler: deliver, connect: true });
  const market = new Marketplace({
    stripe: sandbox.stripe(),
    storage: memoryStorage(),
    commission: percentage(12),
    webhookSecrets: { platform: platform.secret, connect: connect.secret },
    livemode: false,
  });
  try {
    // Onboarding through the sandbox's hosted page (opened, then submitted), answered in-process by sandbox.fetch.
    const { url, accountId } = await market.onboardVendor({ vendorId: 'vendor_1', country: 'GB', ...urls });
    const opened = await sandbox.fetch(new Request(url));
    check(opened.status === 200, `the onboarding page answered ${opened.status}`);
    await opened.arrayBuffer();
    const submitted = await sandbox.fetch(
      new Request(url, {
        method: 'POST',
        body: 'action=complete',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    check(submitted.headers.get('location') === urls.returnUrl, 'the completed onboarding page redirects to returnUrl');
    const vendor = await market.completeOnboarding({ vendorId: 'vendor_1' });
    check(vendor.status === 'active', `vendor is ${vendor.status}, expected active`);

    const checkout = await market.createCheckout({ orderId: 'order_1', vendorId: 'vendor_1', amount: 2000, currency: 'gbp' });
    check(checkout.applicationFeeAmount === 240 && checkout.vendorAmount === 1760, 'a 12% commission of 2000 is 240 + 1760');
    check(checkout.accountId === accountId, 'the checkout pays the onboarded account');
    await sandbox.stripe().paymentIntents.confirm(checkout.paymentIntentId, {
      payment_method: 'pm_card_visa',
      return_url: 'https://market.example/paid',
    });
    const flushed = await sandbox.flushWebhooks();
    check(flushed.failed.length === 0, `deliveries failed: ${JSON.stringify(flushed.failed)}`);
    check(delivered.length > 0 && delivered.every((d) => d.status === 200), `statuses ${delivered.map((d) => d.status)}`);
    const order = await market.getOrder('order_1');
    check(order?.status === 'succeeded', `order is ${order?.status}, expected succeeded`);

    // The signed payment_intent.succeeded event with one byte changed (the amount), under its original signature:
    // refused with 400.
    const last = delivered.find((d) => JSON.parse(d.body).type === 'payment_intent.succeeded');
    check(last !== undefined, 'payment_intent.succeeded was delivered');
    const tamperedBody = last.body.replace(/("amount":\s*)2000/, '$12001');
    check(tamperedBody !== last.body, 'the delivered event carries "amount": 2000');
    const tampered = await market.handleWebhookRequest(webhookRequest(tamperedBody, last.signature));
    check(tampered.status === 400, `a tampered body was answered ${tampered.status}, expected 400`);
    const replayed = await market.handleWebhookRequest(webhookRequest(last.body, last.signature));
    check(replayed.status === 200, `the untouched body replayed was answered ${replayed.status}, expected 200`);

    const listened = await checkListen(sandbox, listen);
    return { order: order.status, events: delivered.length, tampered: tampered.status, listen: listened };
  } finally {
    await sandbox.close();
  }
}

function webhookRequest(body, signature) {
  return new Request('https://market.example/webhooks/stripe', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
  });
}

async function checkListen(sandbox, expected) {
  if (expected === 'serves') {
    const server = await sandbox.listen();
    const response = await fetch(`${server.url}/v1/balance`, { headers: { authorization: 'Bearer sk_test_sandbox' } });
    check(response.status === 200, `GET /v1/balance over sandbox.listen() answered ${response.status}`);
    await response.arrayBuffer();
    return 'served';
  }
  const error = await sandbox.listen().then(
    () => undefined,
    (thrown) => thrown,
  );
  check(/needs a runtime with node:http/.test(String(error?.message)), `listen() did not refuse: ${error}`);
  return 'refused';
}
