import { describe, expect, it } from 'vitest';
import type { StripeSandbox } from '../../src/testing/index.js';
import { EXPRESS, readyAccount, setup } from './helpers.js';

/**
 * Stripe's documented error object and status codes (https://docs.stripe.com/api/errors, looked up for this test):
 * - the body is `{ error: { ... } }` with the attributes below; `type` is one of four values;
 * - 400 Bad Request: "often due to missing a required parameter"; 401: no valid API key; 402 Request Failed:
 *   "the parameters were valid but the request failed" (card errors); 404: the resource does not exist.
 * - Idempotency (https://docs.stripe.com/idempotency): the same key with other parameters is an error; a result
 *   is saved only once the endpoint started executing (validation failures are not saved).
 */
const DOCUMENTED_ATTRIBUTES = [
  'advice_code',
  'charge',
  'code',
  'decline_code',
  'doc_url',
  'message',
  'network_advice_code',
  'network_decline_code',
  'param',
  'payment_intent',
  'payment_method',
  'payment_method_type',
  'request_log_url',
  'setup_intent',
  'source',
  'type',
];
const DOCUMENTED_TYPES = ['api_error', 'card_error', 'idempotency_error', 'invalid_request_error'];

interface WireError {
  status: number;
  error: {
    type: string;
    code?: string;
    param?: string;
    message: string;
    decline_code?: string;
    doc_url?: string;
    [k: string]: unknown;
  };
  headers: Headers;
}

async function call(
  sandbox: StripeSandbox,
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = {},
): Promise<WireError & { json: Record<string, unknown> }> {
  const response = await sandbox.fetch(
    new Request(`https://api.stripe.com${path}`, {
      method,
      headers: { authorization: 'Bearer sk_test_123', 'content-type': 'application/x-www-form-urlencoded', ...headers },
      ...(method === 'GET' ? {} : { body }),
    }),
  );
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, error: json.error as WireError['error'], headers: response.headers, json };
}

function expectDocumentedShape(result: WireError, status: number, type: string, extra: { code?: string; param?: string } = {}) {
  expect(result.status).toBe(status);
  expect(DOCUMENTED_TYPES).toContain(result.error.type);
  expect(result.error.type).toBe(type);
  expect(typeof result.error.message).toBe('string');
  expect(result.error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(result.error)) expect(DOCUMENTED_ATTRIBUTES).toContain(key);
  if (extra.code) {
    expect(result.error.code).toBe(extra.code);
    expect(result.error.doc_url).toBe(`https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, '-')}`);
  }
  if (extra.param) expect(result.error.param).toBe(extra.param);
}

describe('error shapes match Stripe’s documented ones', () => {
  it('missing parameter: 400 invalid_request_error parameter_missing', async () => {
    const { sandbox } = setup();
    const result = await call(sandbox, 'POST', '/v1/payment_intents', 'currency=gbp');
    expectDocumentedShape(result, 400, 'invalid_request_error', { code: 'parameter_missing', param: 'amount' });
    expect(result.error.message).toBe('Missing required param: amount.');
  });

  it('unknown parameter, also nested: 400 parameter_unknown naming the bracketed path', async () => {
    const { sandbox } = setup();
    const top = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp&colour=red');
    expectDocumentedShape(top, 400, 'invalid_request_error', { code: 'parameter_unknown', param: 'colour' });
    expect(top.error.message).toBe('Received unknown parameter: colour');
    const nested = await call(
      sandbox,
      'POST',
      '/v1/payment_intents',
      'amount=2000&currency=gbp&transfer_data[destinaton]=acct_1',
    );
    expectDocumentedShape(nested, 400, 'invalid_request_error', {
      code: 'parameter_unknown',
      param: 'transfer_data[destinaton]',
    });
  });

  it('malformed integer: 400 parameter_invalid_integer', async () => {
    const { sandbox } = setup();
    const result = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=20.00&currency=gbp');
    expectDocumentedShape(result, 400, 'invalid_request_error', { code: 'parameter_invalid_integer', param: 'amount' });
    expect(result.error.message).toBe('Invalid integer: 20.00');
  });

  it('application_fee_amount without a destination, and above the amount: 400 on application_fee_amount', async () => {
    const { sandbox, stripe } = setup();
    const noDestination = await call(
      sandbox,
      'POST',
      '/v1/payment_intents',
      'amount=2000&currency=gbp&application_fee_amount=240',
    );
    expectDocumentedShape(noDestination, 400, 'invalid_request_error', { param: 'application_fee_amount' });
    expect(noDestination.error.message).toContain('transfer_data[destination]');
    const driver = await readyAccount(sandbox, stripe);
    const above = await call(
      sandbox,
      'POST',
      '/v1/payment_intents',
      `amount=2000&currency=gbp&application_fee_amount=2001&transfer_data[destination]=${driver}`,
    );
    expectDocumentedShape(above, 400, 'invalid_request_error', { param: 'application_fee_amount' });
  });

  it('destination without the transfers capability: 400 insufficient_capabilities_for_transfer', async () => {
    const { sandbox, stripe } = setup();
    const pending = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    const result = await call(
      sandbox,
      'POST',
      '/v1/payment_intents',
      `amount=2000&currency=gbp&transfer_data[destination]=${pending.id}`,
    );
    expectDocumentedShape(result, 400, 'invalid_request_error', {
      code: 'insufficient_capabilities_for_transfer',
      param: 'transfer_data[destination]',
    });
  });

  it('amount below the currency minimum: 400 amount_too_small', async () => {
    const { sandbox } = setup();
    const result = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=29&currency=gbp');
    expectDocumentedShape(result, 400, 'invalid_request_error', { code: 'amount_too_small', param: 'amount' });
    expect(result.error.message).toBe('Amount must be at least 0.30 GBP');
    expect((await call(sandbox, 'POST', '/v1/payment_intents', 'amount=49&currency=jpy')).error.code).toBe('amount_too_small');
    expect((await call(sandbox, 'POST', '/v1/payment_intents', 'amount=50&currency=jpy')).status).toBe(200);
  });

  it('payment_method_types on the pinned API version: 400; accepted on versions before 2026-09-30', async () => {
    const { sandbox } = setup();
    const pinned = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp&payment_method_types[0]=card', {
      'stripe-version': '2026-10-28.endive',
    });
    expectDocumentedShape(pinned, 400, 'invalid_request_error', {
      code: 'payment_method_types_no_longer_supported',
      param: 'payment_method_types',
    });
    const session = await call(sandbox, 'POST', '/v1/checkout/sessions', 'mode=payment&payment_method_types[0]=card');
    expect(session.error.param).toBe('payment_method_types');
    const older = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp&payment_method_types[0]=card', {
      'stripe-version': '2025-03-31.basil',
    });
    expect(older.status).toBe(200);
  });

  it('card decline: 402 card_error with code, decline_code, charge and payment_intent', async () => {
    const { sandbox } = setup();
    const result = await call(
      sandbox,
      'POST',
      '/v1/payment_intents',
      'amount=2000&currency=gbp&payment_method=pm_card_chargeDeclined&confirm=true&return_url=https://a.example',
    );
    expectDocumentedShape(result, 402, 'card_error', { code: 'card_declined' });
    expect(result.error.decline_code).toBe('generic_decline');
    expect(result.error.charge).toMatch(/^ch_/);
    expect(result.error.payment_intent).toMatchObject({ object: 'payment_intent', status: 'requires_payment_method' });
  });

  it('unknown object: 404 resource_missing; bad key: 401', async () => {
    const { sandbox } = setup();
    const missing = await call(sandbox, 'GET', '/v1/payment_intents/pi_missing');
    expectDocumentedShape(missing, 404, 'invalid_request_error', { code: 'resource_missing', param: 'intent' });
    expect(missing.error.message).toBe("No such payment_intent: 'pi_missing'");
    const unauthorized = await call(sandbox, 'GET', '/v1/balance', '', { authorization: 'Bearer sk_live_nope' });
    expectDocumentedShape(unauthorized, 401, 'invalid_request_error');
  });
});

describe('idempotency', () => {
  it('the same key with the same parameters replays the first response and creates nothing new', async () => {
    const { sandbox } = setup();
    const first = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp&metadata[a]=1&metadata[b]=2', {
      'idempotency-key': 'checkout:order_1',
    });
    const again = await call(sandbox, 'POST', '/v1/payment_intents', 'metadata[b]=2&metadata[a]=1&currency=gbp&amount=2000', {
      'idempotency-key': 'checkout:order_1',
    });
    expect(again.json).toEqual(first.json);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(sandbox.events().filter((e) => e.type === 'payment_intent.created')).toHaveLength(1);
  });

  it('the same key with different parameters is a 400 idempotency_error', async () => {
    const { sandbox } = setup();
    await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp', { 'idempotency-key': 'k' });
    const reused = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2500&currency=gbp', { 'idempotency-key': 'k' });
    expectDocumentedShape(reused, 400, 'idempotency_error');
    expect(reused.error.message).toContain("Try using a key other than 'k'");
    const otherEndpoint = await call(sandbox, 'POST', '/v1/refunds', 'amount=2000&currency=gbp', { 'idempotency-key': 'k' });
    expect(otherEndpoint.error.type).toBe('idempotency_error');
  });

  it('keys are scoped per account (Stripe-Account header)', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const a = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2000&currency=gbp', { 'idempotency-key': 'same' });
    const b = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=2500&currency=gbp', {
      'idempotency-key': 'same',
      'stripe-account': driver,
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
  });

  it('a validation failure is not saved, a card decline is', async () => {
    const { sandbox } = setup();
    const invalid = await call(sandbox, 'POST', '/v1/payment_intents', 'amount=10&currency=gbp', { 'idempotency-key': 'v' });
    expect(invalid.status).toBe(400);
    expect(
      (await call(sandbox, 'POST', '/v1/payment_intents', 'amount=100&currency=gbp', { 'idempotency-key': 'v' })).status,
    ).toBe(200);
    const body = 'amount=2000&currency=gbp&payment_method=pm_card_chargeDeclined&confirm=true&return_url=https://a.example';
    const declined = await call(sandbox, 'POST', '/v1/payment_intents', body, { 'idempotency-key': 'd' });
    const replay = await call(sandbox, 'POST', '/v1/payment_intents', body, { 'idempotency-key': 'd' });
    expect(replay.status).toBe(402);
    expect(replay.json).toEqual(declined.json);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('through stripe-node: idempotencyKey replays, and reuse raises StripeIdempotencyError', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const params = { amount: 2000, currency: 'gbp', application_fee_amount: 240, transfer_data: { destination: driver } };
    const a = await stripe.paymentIntents.create(params, { idempotencyKey: 'checkout:order_9' });
    const b = await stripe.paymentIntents.create(params, { idempotencyKey: 'checkout:order_9' });
    expect(b.id).toBe(a.id);
    await expect(
      stripe.paymentIntents.create({ ...params, amount: 3000 }, { idempotencyKey: 'checkout:order_9' }),
    ).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
    });
  });
});
