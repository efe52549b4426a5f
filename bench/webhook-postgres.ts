/**
 * Webhook throughput on PostgreSQL, as a ratio against the cheapest durable dedup there is: a bare
 * `INSERT ... ON CONFLICT DO NOTHING` loop on the same database, measured in the same run, in alternating
 * rounds (baseline, webhook, webhook, baseline, ...) so that drift affects both sides alike.
 *
 *   npx tsx bench/webhook-postgres.ts             # PGlite, and the server when DATABASE_URL is set
 *   EVENTS=1000 ROUNDS=8 npx tsx bench/webhook-postgres.ts
 *
 * One webhook = verify the signature, claim the event, read the order, move it to `succeeded`, run one
 * user handler, complete the event. Deliveries are sequential on one logical client, like the baseline.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import Stripe from 'stripe';
import { envelope, Marketplace, ORDER, percentage, VENDOR } from '../src/index.js';
import { postgresStorage, type PostgresClient, type PostgresStorage } from '../src/postgres.js';
import { orderRecord, vendorRecord } from '../src/testing/conformance/fixtures.js';
import { paymentSucceededPayload, signed } from '../test/integration/events.js';

const EVENTS = Number(process.env.EVENTS ?? 500);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SECRET = 'whsec_bench';
const stripe = new Stripe('sk_test_bench', { maxNetworkRetries: 0 });

function signedEvents(round: number) {
  return Array.from({ length: EVENTS }, (_, i) =>
    signed(paymentSucceededPayload(`evt_${round}_${i}`, `pi_${round}_${i}`), SECRET),
  );
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function bench(name: string, client: PostgresClient) {
  const storage: PostgresStorage = postgresStorage({ client, tablePrefix: `bench_${Date.now().toString(36)}_` });
  await storage.migrate();
  const p = storage.tablePrefix;
  await storage.query(`CREATE TABLE ${p}baseline (id text PRIMARY KEY)`);
  await storage.insert(envelope(VENDOR, vendorRecord('v1')));
  const market = new Marketplace({
    stripe,
    storage,
    commission: percentage(10),
    webhookSecrets: { platform: SECRET },
    livemode: false,
  });
  let handled = 0;
  market.on('payment_intent.succeeded', () => {
    handled += 1;
  });

  const baseline = async (round: number) => {
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      await storage.query(`INSERT INTO ${p}baseline (id) VALUES ($1) ON CONFLICT DO NOTHING`, [`evt_${round}_${i}`]);
    }
    return performance.now() - start;
  };
  const webhooks = async (round: number) => {
    for (let i = 0; i < EVENTS; i++) {
      await storage.insert(
        envelope(ORDER, orderRecord(`o_${round}_${i}`, { vendorId: 'v1', paymentIntentId: `pi_${round}_${i}` })),
      );
    }
    const deliveries = signedEvents(round);
    const start = performance.now();
    for (const delivery of deliveries) {
      const result = await market.handleWebhook(delivery);
      if (result.status !== 200) throw new Error(`delivery answered ${result.status}: ${result.error}`);
    }
    return performance.now() - start;
  };

  // Warm-up, not measured.
  await baseline(-1);
  await webhooks(-1);
  const base: number[] = [];
  const hook: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      base.push(await baseline(round));
      hook.push(await webhooks(round));
    } else {
      hook.push(await webhooks(round));
      base.push(await baseline(round));
    }
  }
  if (handled !== EVENTS * (ROUNDS + 1)) throw new Error(`handler ran ${handled} times`);
  const tables = await storage.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE starts_with(tablename, $1)`, [
    p,
  ]);
  await storage.query(`DROP TABLE ${tables.rows.map((r) => r.tablename).join(', ')}`);

  const perSecond = (ms: number) => Math.round((EVENTS / ms) * 1000);
  const ratios = base.map((b, i) => (hook[i] as number) / b);
  console.log(
    `${name.padEnd(22)} baseline ${String(perSecond(median(base))).padStart(6)} inserts/s   webhooks ${String(perSecond(median(hook))).padStart(6)} events/s   ` +
      `time ratio webhook/insert: median ${median(ratios).toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
  );
}

console.log(
  `webhook throughput vs INSERT ... ON CONFLICT DO NOTHING, ${EVENTS} events x ${ROUNDS} rounds, sequential, node ${process.version}`,
);
const lite = new PGlite();
await bench('PGlite (in memory)', lite);
await lite.close();
if (process.env.DATABASE_URL) {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
  await bench('PostgreSQL server (pg)', pool);
  await pool.end();
} else {
  console.log('PostgreSQL server: skipped (set DATABASE_URL)');
}
