// One process of the refund concurrency test: a Marketplace (the built package) on the PostgreSQL database, its
// Stripe client pointed at the parent's sandbox server. It starts CALLERS refunds of AMOUNT at once on ORDER_ID and
// prints one JSON line: the refund ids that succeeded and the error code of each that did not.
import pg from 'pg';
import Stripe from 'stripe';
import { Marketplace, percentage } from '../../dist/index.js';
import { postgresStorage } from '../../dist/postgres.js';

const { DATABASE_URL, TABLE_PREFIX, SANDBOX_PORT, API_VERSION, ORDER_ID, CALLERS, AMOUNT, WORKER } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8 });
const market = new Marketplace({
  stripe: new Stripe('sk_test_sandbox', {
    apiVersion: API_VERSION,
    host: '127.0.0.1',
    port: Number(SANDBOX_PORT),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  }),
  storage: postgresStorage({ client: pool, tablePrefix: TABLE_PREFIX }),
  commission: percentage(12),
});

const results = await Promise.allSettled(
  Array.from({ length: Number(CALLERS) }, (_, i) =>
    market.refund({ orderId: ORDER_ID, refundId: `${WORKER}_${i}`, amount: Number(AMOUNT) }),
  ),
);
const ok = [];
const errors = [];
for (const result of results) {
  if (result.status === 'fulfilled') ok.push({ refundId: result.value.refundId, amount: result.value.amount });
  else errors.push(result.reason?.code ?? String(result.reason));
}
process.stdout.write(`${JSON.stringify({ ok, errors })}\n`);
await pool.end();
