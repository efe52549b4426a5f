// A checkout through the user's own Stripe client, pointed at a local responder that plays the Stripe API.
import { once } from 'node:events';
import { createServer } from 'node:http';

/** Starts the responder; `requests` collects what the Stripe client sent. */
export async function startStripeResponder() {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: new URLSearchParams(body) });
      const params = new URLSearchParams(body);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_consumer' });
      res.end(
        JSON.stringify({
          id: 'pi_consumer_1',
          object: 'payment_intent',
          amount: Number(params.get('amount')),
          currency: params.get('currency'),
          application_fee_amount: Number(params.get('application_fee_amount')),
          client_secret: 'pi_consumer_1_secret_abc',
          status: 'requires_payment_method',
          livemode: false,
        }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, requests, close: () => server.close() };
}

/** Runs one checkout of 2000 gbp at percentage(12) and checks what reached "Stripe". */
export async function checkoutSmoke({ Stripe, lib }) {
  const { Marketplace, memoryStorage, percentage, vendorStateFromAccount, isMarketplaceError, envelope, VENDOR } = lib;
  const responder = await startStripeResponder();
  try {
    const stripe = new Stripe('sk_test_consumer', {
      host: '127.0.0.1',
      port: responder.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const storage = memoryStorage();
    const now = Date.now();
    await storage.insert(
      envelope(VENDOR, {
        vendorId: 'driver_42',
        accountId: 'acct_consumer',
        connection: 'account_link',
        createdAt: now,
        updatedAt: now,
        ...vendorStateFromAccount({
          id: 'acct_consumer',
          details_submitted: true,
          charges_enabled: true,
          payouts_enabled: true,
          capabilities: { transfers: 'active' },
          requirements: { currently_due: [], past_due: [], eventually_due: [], pending_verification: [], disabled_reason: null },
        }),
      }),
    );
    const market = new Marketplace({ stripe, storage, commission: percentage(12) });
    const result = await market.createCheckout({ orderId: 'order_1001', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
    const expect = (condition, message) => {
      if (!condition) throw new Error(`consumer check failed: ${message}`);
    };
    expect(result.applicationFeeAmount === 240 && result.vendorAmount === 1760, `fee split ${JSON.stringify(result)}`);
    expect(result.clientSecret === 'pi_consumer_1_secret_abc', 'clientSecret');
    expect(responder.requests.length === 1, `one request, got ${responder.requests.length}`);
    const [request] = responder.requests;
    expect(request.url === '/v1/payment_intents', request.url);
    expect(request.body.get('application_fee_amount') === '240', 'application_fee_amount');
    expect(request.body.get('transfer_data[destination]') === 'acct_consumer', 'transfer_data[destination]');
    expect(!request.body.has('payment_method_types'), 'no payment_method_types');
    expect(request.headers['idempotency-key'] === 'checkout:order_1001', 'idempotency key');

    // Bad input is refused before any request.
    const refused = await market
      .createCheckout({ orderId: 'order_1002', vendorId: 'driver_42', amount: 20.5, currency: 'gbp' })
      .then(
        () => null,
        (error) => error,
      );
    expect(isMarketplaceError(refused, 'INVALID_INPUT'), `20.5 gbp refused with INVALID_INPUT, got ${refused}`);
    expect(responder.requests.length === 1, 'no request for bad input');
    return { stripeVersion: Stripe.PACKAGE_VERSION ?? 'unknown' };
  } finally {
    responder.close();
  }
}
