/**
 * A worker process for cart-transfer-crash.test.ts: drains the inbox (payment events of a cart) against the
 * sandbox served by the parent, and stops dead right after Stripe answered the transfer of `DIE_AFTER`'s vendor,
 * before the answer is recorded. The parent kills it there.
 */
import pg from 'pg';
import Stripe from 'stripe';
import { Marketplace, percentage } from '../../src/index.js';
import { postgresStorage } from '../../src/postgres.js';
import { SANDBOX_API_VERSION } from '../../src/testing/sandbox/sandbox.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const storage = postgresStorage({ client: pool, tablePrefix: process.env.TABLE_PREFIX as string });
const stripe = new Stripe('sk_test_sandbox', {
  apiVersion: SANDBOX_API_VERSION as Stripe.LatestApiVersion,
  host: '127.0.0.1',
  port: Number(process.env.SANDBOX_PORT),
  protocol: 'http',
  maxNetworkRetries: 0,
  telemetry: false,
});
const create = stripe.transfers.create.bind(stripe.transfers);
stripe.transfers.create = (async (params: Stripe.TransferCreateParams, options?: Stripe.RequestOptions) => {
  const made = await create(params, options);
  if (params.metadata?.vendor_id === process.env.DIE_AFTER) {
    process.stdout.write(`created ${made.id}\n`);
    await new Promise(() => {}); // killed here: Stripe made the transfer, storage does not know it
  }
  return made;
}) as typeof stripe.transfers.create;

const market = new Marketplace({ stripe, storage, commission: percentage(12), webhookTransactions: true });
await market.events.work({ stopWhenIdle: true });
process.stdout.write('idle\n');
await pool.end();
