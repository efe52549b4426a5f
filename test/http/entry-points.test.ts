import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookHandler, keepRawBody } from '../../src/http/express.js';
import { stripeWebhooks } from '../../src/http/fastify.js';
import { webhookHttpAnswer } from '../../src/index.js';
import { makeMarket, paymentIntent, seed, sign, stripeEvent } from '../webhooks/helpers.js';

type Market = ReturnType<typeof makeMarket>['market'];
interface Delivery {
  body: string;
  headers: Record<string, string>;
}
interface Answer {
  status: number;
  body: unknown;
}
/** Sends one delivery through one entry point of a fresh marketplace per scenario. */
type EntryPoint = (market: Market, delivery: Delivery) => Promise<Answer>;

const servers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(servers.map((close) => close()));
});

async function listenExpress(app: express.Express): Promise<string> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listenFastify(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push(() => app.close());
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

async function post(url: string, delivery: Delivery): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', body: delivery.body, headers: delivery.headers });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) };
}

/** Builds an entry point that starts one server per marketplace (each scenario uses its own). */
function perMarketServer(start: (market: Market) => Promise<string>): EntryPoint {
  const urls = new Map<Market, Promise<string>>();
  return async (market, delivery) => {
    if (!urls.has(market)) urls.set(market, start(market));
    return post(`${await urls.get(market)}/webhooks/stripe`, delivery);
  };
}

const entryPoints: Record<string, EntryPoint> = {
  handleWebhook: async (market, delivery) => {
    const result = await market.handleWebhook({ body: delivery.body, signature: delivery.headers['stripe-signature'] });
    const answer = webhookHttpAnswer(result);
    return { status: answer.status, body: JSON.parse(answer.body) };
  },
  handleWebhookRequest: async (market, delivery) => {
    const response = await market.handleWebhookRequest(
      new Request('https://shop.example/webhooks/stripe', { method: 'POST', body: delivery.body, headers: delivery.headers }),
    );
    return { status: response.status, body: await response.json() };
  },
  'express (webhook route, then global express.json())': perMarketServer((market) => {
    const app = express();
    app.post('/webhooks/stripe', webhookHandler(market));
    app.use(express.json());
    app.post('/api/echo', (req, res) => {
      res.json({ echoed: req.body });
    });
    return listenExpress(app);
  }),
  'express (global express.json({ verify: keepRawBody }) first)': perMarketServer((market) => {
    const app = express();
    app.use(express.json({ verify: keepRawBody }));
    app.post('/webhooks/stripe', webhookHandler(market));
    return listenExpress(app);
  }),
  'express (express.raw() on the route)': perMarketServer((market) => {
    const app = express();
    app.post('/webhooks/stripe', express.raw({ type: '*/*' }), webhookHandler(market));
    app.use(express.json());
    return listenExpress(app);
  }),
  'node:http (the express handler alone)': perMarketServer(async (market) => {
    const server = createServer(webhookHandler(market));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(() => new Promise((resolve) => server.close(() => resolve())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }),
  'fastify (default JSON parser elsewhere)': perMarketServer(async (market) => {
    const app = Fastify();
    app.post('/api/echo', async (request) => ({ echoed: request.body }));
    await app.register(stripeWebhooks, { marketplace: market, path: '/webhooks/stripe' });
    return listenFastify(app);
  }),
};

function delivery(request: { body: string; signature: string | undefined }): Delivery {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0' };
  if (request.signature !== undefined) headers['stripe-signature'] = request.signature;
  return { body: request.body, headers };
}

/** Each scenario: deliveries in order, and the answers every entry point must give. */
function scenarios() {
  const event = stripeEvent('payment_intent.succeeded', paymentIntent());
  const good = sign(event);
  const other = stripeEvent('payment_intent.succeeded', paymentIntent(), { livemode: true });
  return {
    'a signed event, then its duplicate': {
      deliveries: [delivery(good), delivery(good)],
      expected: [
        { status: 200, body: { outcome: 'processed', eventId: event.id, type: event.type } },
        { status: 200, body: { outcome: 'duplicate', eventId: event.id, type: event.type } },
      ],
    },
    'a tampered body': {
      deliveries: [delivery({ body: good.body.replace('"amount": 2000', '"amount": 1'), signature: good.signature })],
      expected: [{ status: 400, body: { outcome: 'rejected', error: expect.stringMatching(/no signature/) } }],
    },
    'a missing header': {
      deliveries: [delivery({ body: good.body, signature: undefined })],
      expected: [{ status: 400, body: { outcome: 'rejected', error: 'the Stripe-Signature header is missing' } }],
    },
    'an empty body': {
      deliveries: [delivery({ body: '', signature: good.signature })],
      expected: [{ status: 400, body: { outcome: 'rejected', error: 'the request body is empty' } }],
    },
    'an event of the other mode': {
      deliveries: [delivery(sign(other))],
      expected: [{ status: 200, body: { outcome: 'ignored', eventId: other.id, type: other.type } }],
    },
  };
}

describe('one signed request gets the same answer through every entry point', () => {
  for (const [scenario, { deliveries, expected }] of Object.entries(scenarios())) {
    it(scenario, async () => {
      const answers: Record<string, Answer[]> = {};
      for (const [name, send] of Object.entries(entryPoints)) {
        const { market, storage } = makeMarket();
        await seed(storage);
        answers[name] = [];
        for (const d of deliveries) answers[name].push(await send(market, d));
        if (scenario.startsWith('a signed event')) {
          expect((await market.getOrder('order_1001'))?.status, name).toBe('succeeded');
        } else {
          expect((await market.getOrder('order_1001'))?.status, name).toBe('pending');
        }
      }
      for (const [name, got] of Object.entries(answers)) {
        expect(got, name).toEqual(expected);
      }
      // Not just equal to the expectation: identical to each other.
      const first = JSON.stringify(Object.values(answers)[0]);
      for (const got of Object.values(answers)) expect(JSON.stringify(got)).toBe(first);
    });
  }
});

/** The app's `/api/echo` route still gets parsed JSON. */
async function expectJsonParserWorks(url: string): Promise<void> {
  const response = await fetch(`${url}/api/echo`, {
    method: 'POST',
    body: JSON.stringify({ a: 1 }),
    headers: { 'content-type': 'application/json' },
  });
  expect(await response.json()).toEqual({ echoed: { a: 1 } });
}

describe('express entry point', () => {
  let url: string;
  let market: Market;
  beforeAll(async () => {
    ({ market } = makeMarket());
    const app = express();
    app.post('/webhooks/stripe', webhookHandler(market, { limit: 4096 }));
    app.use(express.json());
    app.post('/api/echo', (req, res) => {
      res.json({ echoed: req.body });
    });
    app.post('/late/webhooks/stripe', webhookHandler(market));
    url = await listenExpress(app);
  });

  it("leaves the app's JSON parser working for other routes", async () => {
    await expectJsonParserWorks(url);
  });

  it('answers 400 naming the raw-body mistake when express.json() ran before it', async () => {
    const signed = sign(stripeEvent('payment_intent.succeeded', paymentIntent()));
    const answer = await post(`${url}/late/webhooks/stripe`, delivery(signed));
    expect(answer.status).toBe(400);
    expect((answer.body as { error: string }).error).toMatch(/parsed object.*express\.json\(\)/s);
  });

  it('answers 413 for a body over the limit', async () => {
    const signed = sign(null, { payload: 'x'.repeat(5000) });
    const answer = await post(`${url}/webhooks/stripe`, delivery(signed));
    expect(answer).toEqual({ status: 413, body: { outcome: 'rejected', error: 'the request body is larger than 4096 bytes' } });
  });

  it('refuses to be built without a marketplace', () => {
    expect(() => webhookHandler(undefined as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('fastify entry point', () => {
  let url: string;
  beforeAll(async () => {
    const { market } = makeMarket();
    const app = Fastify();
    app.post('/api/echo', async (request) => ({ echoed: request.body }));
    await app.register(stripeWebhooks, { marketplace: market, bodyLimit: 4096 });
    url = await listenFastify(app);
  });

  it('keeps the default JSON parser outside the plugin', async () => {
    await expectJsonParserWorks(url);
    const bad = await fetch(`${url}/api/echo`, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
  });

  it('serves /webhooks/stripe by default and reads any content type as raw bytes', async () => {
    const signed = sign(stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_unknown' })));
    for (const contentType of ['application/json', 'text/plain', 'application/octet-stream']) {
      const answer = await post(`${url}/webhooks/stripe`, {
        body: signed.body,
        headers: { 'content-type': contentType, 'stripe-signature': signed.signature },
      });
      expect(answer.status, contentType).toBe(200);
    }
  });

  it('answers 400 for an empty body and 413 for a body over the limit, like the core', async () => {
    const empty = await post(`${url}/webhooks/stripe`, {
      body: '',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    });
    expect(empty.status).toBe(400);
    const big = await post(`${url}/webhooks/stripe`, {
      body: 'x'.repeat(5000),
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
    });
    expect(big).toEqual({ status: 413, body: { outcome: 'rejected', error: 'the request body is larger than 4096 bytes' } });
  });

  it('refuses to register without a marketplace', async () => {
    const app = Fastify();
    await expect(app.register(stripeWebhooks, {} as never).ready()).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
