// The webhook pipeline's speed figures (issue 10), each a ratio against a baseline measured in the same run,
// the two sides alternated round by round (bench/lib.mjs):
//
// 1. PostgreSQL server, one pg.Pool (max 16): market.handleWebhook against a hand-written transactional
//    handler on the same database (constructEventAsync, then BEGIN; INSERT INTO events ... ON CONFLICT DO
//    NOTHING; UPDATE orders SET status ... WHERE payment_intent_id = $1; COMMIT, on its own two tables seeded
//    with the same orders), one delivery at a time and 16 at once, with and without webhookTransactions.
// 2. Inbox mode: acknowledgments (webhookMode: 'inbox') against a bare INSERT ... ON CONFLICT DO NOTHING loop;
//    draining (events.work, concurrency 16) against the hand-written handler on the same events, 16 at once.
// 3. In memory: handleWebhook against constructEventAsync alone (bench/webhook.mjs).
// 4. Statements (round trips) and commits per event on each of the library's paths, next to the baseline's.
//
// Parts 1, 2 and 4 need a PostgreSQL server: set DATABASE_URL. Without it they are reported as not measured.
//
//   npm run bench:core                      # builds, then measures and updates bench/RESULTS.md
//   EVENTS=100 ROUNDS=5 npm run bench:core  # smaller rounds
import pg from 'pg';
import Stripe from 'stripe';
import { envelope, Marketplace, ORDER, percentage, VENDOR } from 'stripe-marketplace';
import { postgresStorage } from 'stripe-marketplace/postgres';
import { alternate, fmt, median, ratioOf } from './lib.mjs';
import { benchWebhook } from './webhook.mjs';

const SECRET = 'whsec_bench_core';
const EVENTS = Number(process.env.EVENTS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const CONCURRENCY = 16;
const stripe = new Stripe('sk_test_bench', { maxNetworkRetries: 0 });

/** Runs `fn` on every item, at most `limit` at once. */
async function inParallel(items, limit, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const runAll = (items, concurrency, fn) =>
  concurrency === 1
    ? items.reduce((chain, item) => chain.then(() => fn(item)), Promise.resolve())
    : inParallel(items, concurrency, fn);

/** A signed `payment_intent.succeeded` delivery, as Stripe sends it. */
function delivery(eventId, paymentIntentId) {
  const payload = JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: { id: paymentIntentId, object: 'payment_intent', status: 'succeeded', latest_charge: `ch_${paymentIntentId}` },
    },
  });
  return { body: payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
}

const T0 = Date.UTC(2026, 0, 1);
const VENDOR_ID = 'vendor_bench';
const ACCOUNT_ID = 'acct_bench_core';

/** A pending one-item destination-charge order of 2000 minor units (240 fee), already bound to its PaymentIntent. */
function orderRecord(orderId, paymentIntentId) {
  const item = { vendorId: VENDOR_ID, accountId: ACCOUNT_ID, amount: 2000, applicationFeeAmount: 240, vendorAmount: 1760 };
  return {
    orderId,
    vendorId: VENDOR_ID,
    accountId: ACCOUNT_ID,
    mode: 'embedded',
    chargeType: 'destination',
    amount: 2000,
    currency: 'gbp',
    applicationFeeAmount: 240,
    vendorAmount: 1760,
    items: [{ ...item, description: null }],
    status: 'pending',
    paymentIntentId,
    checkoutSessionId: null,
    chargeId: null,
    amountRefunded: 0,
    dispute: null,
    lastPaymentError: null,
    description: null,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
  };
}

const vendorRecord = {
  vendorId: VENDOR_ID,
  accountId: ACCOUNT_ID,
  connection: 'account_link',
  status: 'active',
  chargesEnabled: true,
  payoutsEnabled: true,
  detailsSubmitted: true,
  transfersCapability: 'active',
  requirements: { currentlyDue: [], pastDue: [], eventuallyDue: [], pendingVerification: [], disabledReason: null },
  createdAt: T0,
  updatedAt: T0,
};

/**
 * Counts what every pooled connection sends: statements (each one a round trip), COMMITs, and statements run
 * outside BEGIN ... COMMIT (each commits on its own; a read-only one writes nothing). `log` keeps the texts.
 */
function countStatements(pool) {
  const counts = { statements: 0, commits: 0, autocommitted: 0 };
  const log = [];
  pool.on('connect', (client) => {
    const query = client.query;
    let inTransaction = false;
    client.query = function countedQuery(config, ...rest) {
      const sql = typeof config === 'string' ? config : (config?.text ?? '');
      const text = sql.trim().toUpperCase();
      counts.statements++;
      log.push(sql.replace(/\s+/g, ' ').trim().slice(0, 90));
      if (text.startsWith('BEGIN')) {
        inTransaction = true;
      } else if (text.startsWith('COMMIT') || text.startsWith('ROLLBACK')) {
        if (text.startsWith('COMMIT')) counts.commits++;
        inTransaction = false;
      } else if (!inTransaction) {
        counts.autocommitted++;
      }
      return query.call(this, config, ...rest);
    };
  });
  return {
    counts,
    log,
    reset: () => {
      Object.assign(counts, { statements: 0, commits: 0, autocommitted: 0 });
      log.length = 0;
    },
  };
}

async function postgresFigures(connectionString) {
  const pool = new pg.Pool({ connectionString, max: CONCURRENCY });
  const counter = countStatements(pool);
  const prefix = `bench_core_${process.pid}_`;
  const storage = postgresStorage({ client: pool, tablePrefix: prefix });
  await storage.migrate();
  const events = `${prefix}hand_events`;
  const orders = `${prefix}hand_orders`;
  const acks = `${prefix}bare_inbox`;
  await pool.query(`CREATE TABLE ${events} (id text PRIMARY KEY, type text NOT NULL, payload text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE ${orders} (order_id text PRIMARY KEY, payment_intent_id text UNIQUE, status text NOT NULL,
    data jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`CREATE TABLE ${acks} (id text PRIMARY KEY, payload text NOT NULL)`);
  await storage.insert(envelope(VENDOR, vendorRecord));

  const base = { stripe, storage, commission: percentage(12), webhookSecrets: { platform: SECRET }, livemode: false };
  const markets = {
    process: new Marketplace(base),
    transactions: new Marketplace({ ...base, webhookTransactions: true }),
    inbox: new Marketplace({ ...base, webhookMode: 'inbox' }),
  };

  /** The hand-written handler: verify, then one transaction of two statements. 4 statements, 1 commit. */
  async function handWritten({ body, signature }) {
    const event = await stripe.webhooks.constructEventAsync(body, signature, SECRET);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const stored = await client.query(`INSERT INTO ${events} (id, type, payload) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        event.id,
        event.type,
        body,
      ]);
      if (stored.rowCount === 1) {
        await client.query(
          `UPDATE ${orders} SET status = 'succeeded', updated_at = now() WHERE payment_intent_id = $1 AND status = 'pending'`,
          [event.data.object.id],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async function library(market, input) {
    const result = await market.handleWebhook(input);
    if (result.status !== 200) throw new Error(`handleWebhook answered ${result.status}: ${result.error}`);
  }

  /** Fresh orders and deliveries for one side of one round, stored untimed. */
  let batch = 0;
  async function prepare(side, count) {
    const tag = `${side}_${batch++}`;
    const ids = Array.from({ length: count }, (_, i) => ({
      order: `o_${tag}_${i}`,
      pi: `pi_${tag}_${i}`,
      evt: `evt_${tag}_${i}`,
    }));
    if (side === 'hand') {
      await pool.query(
        `INSERT INTO ${orders} (order_id, payment_intent_id, status, data)
         SELECT o, p, 'pending', $3::jsonb FROM unnest($1::text[], $2::text[]) AS t(o, p)`,
        [ids.map((id) => id.order), ids.map((id) => id.pi), JSON.stringify(orderRecord('o', 'pi'))],
      );
    } else {
      await inParallel(ids, CONCURRENCY, (id) => storage.insert(envelope(ORDER, orderRecord(id.order, id.pi))));
    }
    return ids.map((id) => delivery(id.evt, id.pi));
  }

  async function checkOrders(side, deliveries) {
    const pis = deliveries.map((d) => JSON.parse(d.body).data.object.id);
    const succeeded =
      side === 'hand'
        ? Number(
            (
              await pool.query(`SELECT count(*) AS n FROM ${orders} WHERE status = 'succeeded' AND payment_intent_id = ANY($1)`, [
                pis,
              ])
            ).rows[0].n,
          )
        : (await Promise.all(pis.map((pi) => storage.resolve(pi)))).filter((r) => r?.data.status === 'succeeded').length;
    if (succeeded !== pis.length) throw new Error(`${side}: ${succeeded} of ${pis.length} orders succeeded`);
  }

  /** One figure: `subject` against `baseline`, each on its own fresh batch every round. */
  async function figure({ name, target, rounds = ROUNDS, prepareBaseline, prepareSubject, baseline, subject, check }) {
    const inputs = { baseline: new Map(), subject: new Map() };
    const times = await alternate({
      rounds,
      before: async (round) => {
        inputs.baseline.set(round, await prepareBaseline());
        inputs.subject.set(round, await prepareSubject());
      },
      baseline: (round) => baseline(inputs.baseline.get(round)),
      subject: (round) => subject(inputs.subject.get(round)),
    });
    if (check) {
      await check('hand', inputs.baseline.get(0));
      await check('library', inputs.subject.get(0));
    }
    const ratio = ratioOf(times, { invert: true });
    const perSecond = (ms) => Math.round((EVENTS / ms) * 1000);
    return {
      name,
      value: ratio.median,
      display: `${fmt(ratio.median)}x`,
      target: `>= ${fmt(target, 1)}x`,
      met: ratio.median >= target,
      detail:
        `throughput ratio, median of ${rounds} alternated rounds of ${EVENTS} events (rounds ${fmt(ratio.min)}–${fmt(ratio.max)}); ` +
        `~${perSecond(median(times.subject))} vs ~${perSecond(median(times.baseline))} events/s`,
    };
  }

  const results = [];
  for (const [label, market] of [
    ['without webhookTransactions', markets.process],
    ['with webhookTransactions', markets.transactions],
  ]) {
    for (const concurrency of [1, CONCURRENCY]) {
      const result = await figure({
        name: `PostgreSQL handleWebhook, ${concurrency === 1 ? 'one at a time' : `${concurrency} at once`}, ${label}`,
        target: 1.0,
        prepareBaseline: () => prepare('hand', EVENTS),
        prepareSubject: () => prepare('lib', EVENTS),
        baseline: (deliveries) => runAll(deliveries, concurrency, handWritten),
        subject: (deliveries) => runAll(deliveries, concurrency, (d) => library(market, d)),
        check: checkOrders,
      });
      result.detail = `against the hand-written transactional handler (4 statements, 1 commit), ${result.detail}`;
      results.push(result);
    }
  }

  const ack = await figure({
    name: 'PostgreSQL inbox mode: acknowledgments',
    target: 0.8,
    prepareBaseline: async () => (await prepare('hand', EVENTS)).map((d) => ({ id: JSON.parse(d.body).id, body: d.body })),
    prepareSubject: () => prepare('lib', EVENTS),
    baseline: (rows) =>
      runAll(rows, 1, (row) =>
        pool.query(`INSERT INTO ${acks} (id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [row.id, row.body]),
      ),
    subject: (deliveries) => runAll(deliveries, 1, (d) => library(markets.inbox, d)),
  });
  // The acknowledged events wait in the inbox: drain them untimed, so that the draining figure times its own.
  await markets.inbox.events.work({ concurrency: CONCURRENCY, stopWhenIdle: true });
  ack.detail = `handleWebhook with webhookMode 'inbox', one at a time, against a bare INSERT ... ON CONFLICT DO NOTHING loop; ${ack.detail}`;
  results.push(ack);

  let drained = 0;
  const drain = await figure({
    name: 'PostgreSQL inbox mode: draining',
    target: 1.0,
    prepareBaseline: () => prepare('hand', EVENTS),
    prepareSubject: async () => {
      const deliveries = await prepare('lib', EVENTS);
      await runAll(deliveries, CONCURRENCY, (d) => library(markets.inbox, d));
      return deliveries;
    },
    baseline: (deliveries) => runAll(deliveries, CONCURRENCY, handWritten),
    subject: async () => {
      const summary = await markets.inbox.events.work({ concurrency: CONCURRENCY, stopWhenIdle: true });
      drained += summary.processed;
      if (summary.failed > 0) throw new Error(`events.work: ${summary.failed} events failed`);
    },
    check: checkOrders,
  });
  if (drained !== EVENTS * (ROUNDS + 1)) throw new Error(`events.work processed ${drained} events`);
  drain.detail =
    `events.work({ concurrency: ${CONCURRENCY}, stopWhenIdle: true }) over stored events against the hand-written handler ` +
    `(which also verifies each delivery) on the same number of deliveries, ${CONCURRENCY} at once; ${drain.detail}`;
  results.push(drain);

  // Statements and commits per event, each path on fresh events, 50 events one at a time.
  const SAMPLE = 50;
  const describeCounts = () => {
    const { statements, commits, autocommitted } = counter.counts;
    const per = (n) => fmt(n / SAMPLE, 1);
    return `${per(statements)} statements (${per(commits)} COMMIT, ${per(autocommitted)} autocommitted)`;
  };
  async function perEvent(run, side) {
    const deliveries = await prepare(side, SAMPLE);
    counter.reset();
    await run(deliveries);
    if (process.env.SHOW_SQL)
      console.log(
        `  statements of the last event:\n    ${counter.log.slice(-Math.round(counter.counts.statements / SAMPLE)).join('\n    ')}`,
      );
    return describeCounts();
  }
  const paths = [
    ['hand-written handler (baseline)', (ds) => runAll(ds, 1, handWritten), 'hand'],
    ['handleWebhook', (ds) => runAll(ds, 1, (d) => library(markets.process, d)), 'lib'],
    ['handleWebhook + webhookTransactions', (ds) => runAll(ds, 1, (d) => library(markets.transactions, d)), 'lib'],
    ["handleWebhook, webhookMode 'inbox' (acknowledgment)", (ds) => runAll(ds, 1, (d) => library(markets.inbox, d)), 'lib'],
  ];
  const lines = [];
  for (const [label, run, side] of paths) lines.push(`${label}: ${await perEvent(run, side)}`);
  // The worker's share: draining the events the inbox path just acknowledged.
  counter.reset();
  await markets.inbox.events.work({ concurrency: CONCURRENCY, stopWhenIdle: true });
  lines.push(`events.work (concurrency ${CONCURRENCY}): ${describeCounts()}`);
  results.push({
    name: 'PostgreSQL round trips per event',
    value: null,
    display: 'see detail',
    target: '(reported; baseline: 4 statements, 1 COMMIT)',
    met: null,
    detail: `statements sent (each a round trip) and commits per event, ${SAMPLE} events one at a time: ${lines.join('; ')}`,
  });

  // What a commit costs on this server: a write that commits on its own waits for its WAL flush.
  const single = await pool.connect();
  const perStatement = async (inTransaction, round) => {
    if (inTransaction) await single.query('BEGIN');
    for (let i = 0; i < SAMPLE; i++) {
      await single.query(`INSERT INTO ${acks} (id, payload) VALUES ($1, '') ON CONFLICT DO NOTHING`, [
        `c_${inTransaction}_${round}_${i}`,
      ]);
    }
    if (inTransaction) await single.query('COMMIT');
  };
  const costs = await alternate({ rounds: 5, baseline: (r) => perStatement(true, r), subject: (r) => perStatement(false, r) });
  single.release();
  results.push({
    name: 'PostgreSQL commit cost',
    value: null,
    display: `${fmt(median(costs.subject) / SAMPLE)} vs ${fmt(median(costs.baseline) / SAMPLE)} ms per INSERT`,
    target: '(reported)',
    met: null,
    detail:
      `an INSERT that commits on its own against an INSERT inside a transaction (its COMMIT included), one connection, median of 5 rounds of ` +
      `${SAMPLE}: each autocommitted write waits for its own WAL flush, so a path's writing commits per event, above, ` +
      `weigh more than its other statements`,
  });

  const tables = await pool.query(`SELECT tablename FROM pg_tables WHERE starts_with(tablename, $1)`, [prefix]);
  await pool.query(`DROP TABLE ${tables.rows.map((r) => r.tablename).join(', ')}`);
  await pool.end();
  return results;
}

/** Every figure of the pipeline: the PostgreSQL ones when DATABASE_URL is set, the in-memory one always. */
export async function benchWebhookCore() {
  const results = [];
  if (process.env.DATABASE_URL) {
    results.push(...(await postgresFigures(process.env.DATABASE_URL)));
  } else {
    console.log('PostgreSQL figures: not measured (set DATABASE_URL to a PostgreSQL server to measure them)');
    results.push({
      name: 'PostgreSQL figures',
      value: null,
      display: 'not measured',
      target: '(needs DATABASE_URL)',
      met: null,
      detail: 'not measured in this run: DATABASE_URL was not set',
    });
  }
  results.push(await benchWebhook());
  return results;
}
