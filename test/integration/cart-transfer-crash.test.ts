import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Marketplace, percentage, TRANSFER_CLAIM_MS } from '../../src/index.js';
import { postgresStorage } from '../../src/postgres.js';
import { createSandbox } from '../../src/testing/index.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

// A process killed between Stripe's answer to `transfers.create` and its own write: the transfer exists at Stripe,
// storage still has it claimed. The claim runs out; the next claim finds the transfer at Stripe (by transfer_group and
// metadata) or replays the same idempotency key (kept at least 24 hours: https://docs.stripe.com/api/idempotent_requests),
// so each vendor gets exactly one transfer (https://docs.stripe.com/connect/separate-charges-and-transfers).

const CHILD = new URL('./cart-transfer-child.ts', import.meta.url).pathname;
const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

describe.skipIf(!SERVER_REQUIRED)('cart transfers when a worker process is killed mid-way (PostgreSQL server)', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = serverPool(4);
    await pool.query('SELECT 1');
  });
  afterAll(() => pool?.end());

  it('each vendor gets exactly one transfer, and the sums hold', async () => {
    const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
    const server = await sandbox.listen();
    expect(server.port).toBeGreaterThan(0);
    const storage = postgresStorage({ client: pool, tablePrefix: uniquePrefix('cartcrash') });
    await storage.migrate();
    let skew = 0;
    let market!: Marketplace;
    const deliver = (body: string, signature: string) => market.handleWebhook({ body, signature });
    const platform = sandbox.addWebhookEndpoint({ handler: deliver });
    const connect = sandbox.addWebhookEndpoint({ handler: deliver, connect: true });
    market = new Marketplace({
      stripe: sandbox.stripe(),
      storage,
      commission: percentage(12),
      webhookSecrets: { platform: platform.secret, connect: connect.secret },
      livemode: false,
      webhookMode: 'inbox',
      webhookTransactions: true,
      now: () => Date.now() + skew,
    });
    try {
      for (const vendorId of ['ann', 'bob', 'cat']) {
        const { url } = await market.onboardVendor({ vendorId, country: 'GB', ...urls });
        await sandbox.fetch(new Request(url));
        await sandbox.fetch(
          new Request(url, {
            method: 'POST',
            body: 'action=complete',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          }),
        );
      }
      await sandbox.flushWebhooks();
      await market.events.work({ stopWhenIdle: true });
      expect((await market.listVendors({ statuses: ['active'] })).length).toBe(3);

      const cart = await market.createCheckout({
        orderId: 'cart_crash',
        currency: 'gbp',
        items: [
          { vendorId: 'ann', amount: 1500 },
          { vendorId: 'bob', amount: 999 },
          { vendorId: 'cat', amount: 1001 },
        ],
      });
      if (cart.mode !== 'embedded') throw new Error('expected an embedded cart');
      await market.stripe.paymentIntents.confirm(cart.paymentIntentId, {
        payment_method: 'pm_card_visa',
        return_url: 'https://market.example/paid',
      });
      await sandbox.flushWebhooks(); // stored in the inbox, not processed

      const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', CHILD], {
        env: { ...process.env, TABLE_PREFIX: storage.tablePrefix, SANDBOX_PORT: String(server.port), DIE_AFTER: 'bob' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(line).toMatch(/^created tr_/);
      const bobsTransfer = line.slice('created '.length);
      child.kill('SIGKILL');
      expect((await exited)[1]).toBe('SIGKILL');

      // Stripe made ann's and bob's transfers; storage knows ann's, holds bob's claimed, and has cat's due.
      const list = async () => (await market.stripe.transfers.list({ transfer_group: 'cart_crash', limit: 100 })).data;
      expect((await list()).length).toBe(2);
      const records = async () => Object.fromEntries((await market.listTransfers('cart_crash')).map((t) => [t.vendorId, t]));
      expect((await records()).ann?.status).toBe('paid');
      expect((await records()).bob).toMatchObject({ status: 'pending', stripeTransferId: null, attempts: 1 });
      expect((await records()).cat).toMatchObject({ status: 'pending', attempts: 0 });

      // While bob's claim lives, settlement leaves it alone and sends cat's.
      expect(await market.settleTransfers()).toMatchObject({ paid: 1, skipped: 1 });
      expect((await list()).length).toBe(3);
      // Past the claim, the next settlement heals bob's: the transfer Stripe made is recorded, none is added.
      skew = TRANSFER_CLAIM_MS + 1;
      expect(await market.settleTransfers()).toMatchObject({ paid: 1, skipped: 0 });
      const made = await list();
      expect(made.length).toBe(3);
      expect((await records()).bob).toMatchObject({ status: 'paid', stripeTransferId: bobsTransfer, attempts: 2 });
      expect(await market.settleTransfers()).toMatchObject({ paid: 0, skipped: 0 });

      const order = await market.getOrder('cart_crash');
      const amounts = Object.fromEntries(made.map((t) => [t.metadata.vendor_id, t.amount]));
      expect(amounts).toEqual({ ann: 1320, bob: 879, cat: 881 });
      expect(made.reduce((s, t) => s + t.amount, 0) + (order?.applicationFeeAmount ?? -1)).toBe(3500);
      // Whatever events the killed worker still held are taken over (their lease ended: the test moves it on the
      // database's clock) and processed again without a second transfer.
      await storage.query(
        `UPDATE ${storage.tablePrefix}inbox SET lease_expires_at = lease_expires_at - 60001 WHERE status = 'processing'`,
      );
      await market.events.work({ stopWhenIdle: true });
      expect((await list()).length).toBe(3);
      expect(await market.events.list({ statuses: ['failed', 'pending', 'processing'] })).toEqual([]);
    } finally {
      await sandbox.close(); // stops the server too
      await dropTables(storage);
    }
  }, 60_000);
});
