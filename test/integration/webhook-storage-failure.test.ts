import { seedOrder, seedVendor, storedOrder } from '../records.js';
import type pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Marketplace, percentage, type MarketplaceStorage } from '../../src/index.js';
import { postgresStorage } from '../../src/postgres.js';
import { orderRecord, vendorRecord } from '../../src/testing/conformance/fixtures.js';
import { paymentSucceededPayload, signed } from './events.js';
import { dropTables, relay, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

const SECRET = 'whsec_storage_failure_test';
const stripe = new Stripe('sk_test_storage_failure', { maxNetworkRetries: 0 });

const delivery = (eventId: string) => signed(paymentSucceededPayload(eventId, 'pi_sf'), SECRET);

function market(storage: MarketplaceStorage, now: () => number = Date.now) {
  return new Marketplace({
    stripe,
    storage,
    commission: percentage(10),
    webhookSecrets: { platform: SECRET },
    livemode: false,
    now,
  });
}

describe.skipIf(!SERVER_REQUIRED)('handleWebhook when PostgreSQL fails', () => {
  let direct: pg.Pool;
  beforeAll(async () => {
    direct = serverPool(4);
    await direct.query('SELECT 1');
  });
  afterAll(() => direct?.end());

  async function setUp() {
    const link = await relay(new URL(process.env.DATABASE_URL ?? ''));
    const pool = link.pool();
    const prefix = uniquePrefix('whf');
    const truth = postgresStorage({ client: direct, tablePrefix: prefix });
    await truth.migrate();
    await seedVendor(truth, vendorRecord('v1'));
    await seedOrder(truth, orderRecord('o1', { vendorId: 'v1', paymentIntentId: 'pi_sf' }));
    const eventRow = async (id: string) =>
      (await truth.query(`SELECT status FROM ${prefix}inbox WHERE event_id = $1`, [id])).rows[0] ?? null;
    return { link, pool, prefix, truth, eventRow, storage: postgresStorage({ client: pool, tablePrefix: prefix }) };
  }

  it('answers 500 without running handlers when the database is gone before the delivery', async () => {
    const { link, pool, truth, eventRow, storage } = await setUp();
    try {
      const m = market(storage);
      const calls: string[] = [];
      m.on('payment_intent.succeeded', (event) => void calls.push(event.id));
      await link.cut();
      const result = await m.handleWebhook(delivery('evt_gone'));
      expect(result).toMatchObject({ status: 500, outcome: 'failed', eventId: 'evt_gone' });
      expect(calls).toEqual([]);
      expect(await eventRow('evt_gone')).toBeNull();
      expect((await storedOrder(truth, 'o1'))?.status).toBe('pending');
    } finally {
      await pool.end().catch(() => undefined);
      await dropTables(truth);
    }
  });

  it('answers 500 and marks nothing processed when the database goes away inside a handler; a later delivery processes it', async () => {
    const { link, pool, truth, eventRow, storage } = await setUp();
    try {
      const m = market(storage);
      const calls: string[] = [];
      m.on('payment_intent.succeeded', async (event) => {
        calls.push(event.id);
        await link.cut();
      });
      const result = await m.handleWebhook(delivery('evt_cut'));
      expect(result).toMatchObject({ status: 500, outcome: 'failed', eventId: 'evt_cut' });
      expect(calls).toEqual(['evt_cut']);
      expect(await eventRow('evt_cut')).toEqual({ status: 'processing' });

      // Stripe redelivers; once the unreleased lease has run out (leases are on the database's clock: the test
      // ends it there), a process that can reach the database finishes the event.
      await truth.query(`UPDATE ${truth.tablePrefix}inbox SET lease_expires_at = 0 WHERE event_id = 'evt_cut'`);
      const later = market(truth);
      const redelivered: string[] = [];
      later.on('payment_intent.succeeded', (event) => void redelivered.push(event.id));
      expect(await later.handleWebhook(delivery('evt_cut'))).toMatchObject({ status: 200, outcome: 'processed' });
      expect(redelivered).toEqual(['evt_cut']);
      expect(await eventRow('evt_cut')).toEqual({ status: 'processed' });
      expect(await later.handleWebhook(delivery('evt_cut'))).toMatchObject({ status: 200, outcome: 'duplicate' });
    } finally {
      await pool.end().catch(() => undefined);
      await dropTables(truth);
    }
  });
});
