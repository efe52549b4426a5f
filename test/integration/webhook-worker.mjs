// One Marketplace process for the multi-process tests: it answers webhook deliveries on a loopback port
// (printed as JSON on its first line of output) with the built package, a pg.Pool and a user handler
// whose side effect is one row in `<prefix>side_effects`.
import { createServer } from 'node:http';
import pg from 'pg';
import Stripe from 'stripe';
import { Marketplace, percentage } from '../../dist/index.js';
import { postgresStorage } from '../../dist/postgres.js';

const { DATABASE_URL, TABLE_PREFIX, WEBHOOK_SECRET, LEASE_MS, CRASH_EVENT, WORKER } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 });
const storage = postgresStorage({ client: pool, tablePrefix: TABLE_PREFIX });
const market = new Marketplace({
  stripe: new Stripe('sk_test_worker', { maxNetworkRetries: 0 }),
  storage,
  commission: percentage(10),
  webhookSecrets: { platform: WEBHOOK_SECRET },
  livemode: false,
  eventLeaseMs: Number(LEASE_MS ?? 60_000),
});

market.on('payment_intent.succeeded', async (event) => {
  // The crash test kills this process inside the handler, before its side effect.
  if (event.id === CRASH_EVENT) {
    await pool.query(`INSERT INTO ${TABLE_PREFIX}crashes (event_id, worker) VALUES ($1, $2)`, [event.id, WORKER]);
    process.kill(process.pid, 'SIGKILL');
  }
  await pool.query(`INSERT INTO ${TABLE_PREFIX}side_effects (event_id, worker) VALUES ($1, $2)`, [event.id, WORKER]);
});

const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const result = await market.handleWebhook({ body: Buffer.concat(chunks), signature: request.headers['stripe-signature'] });
  response.writeHead(result.status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ outcome: result.outcome, worker: WORKER }));
});
server.keepAliveTimeout = 1_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  pool.end().finally(() => process.exit(0));
});
