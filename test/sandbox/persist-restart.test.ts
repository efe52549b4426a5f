import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, type StripeSandbox } from '../../src/testing/index.js';
import { EXPRESS, paidIntent, readyAccount } from './helpers.js';

let dir: string;
let file: string;
const open: StripeSandbox[] = [];

async function start(options: { saveDelayMs?: number } = {}): Promise<StripeSandbox> {
  const sandbox = await createSandbox({ file, webhooks: { autoDeliver: false }, ...options });
  open.push(sandbox);
  return sandbox;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
  file = join(dir, 'nested', 'stripe.json');
});

afterEach(async () => {
  for (const sandbox of open.splice(0)) await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createSandbox({ file })', () => {
  it('pays a vendor onboarded before a restart (without the file: "No such destination")', async () => {
    const first = await start();
    const vendor = await readyAccount(first, first.stripe(), { driver: 'd1' });
    const paid = await paidIntent(first.stripe(), vendor, 2000, 240);
    first.advanceTime(60_000);
    // Read before the restart: the first sandbox's clock keeps running, so reading it afterwards could be 1 ms later.
    const closedAt = first.nowMs();
    await first.close();

    // A sandbox that forgot its state refuses the destination, as Stripe does for an unknown account.
    const forgetful = createSandbox();
    await expect(paidIntent(forgetful.stripe(), vendor)).rejects.toMatchObject({ param: 'transfer_data[destination]' });

    const second = await start();
    const stripe = second.stripe();
    expect(second.platformId).toBe(first.platformId);
    expect(second.account(vendor).metadata).toEqual({ driver: 'd1' });
    expect(second.nowMs()).toBeGreaterThanOrEqual(closedAt);
    await expect(stripe.paymentIntents.retrieve(paid.id)).resolves.toMatchObject({ status: 'succeeded', amount: 2000 });

    const again = await paidIntent(stripe, vendor, 1000, 120);
    expect(again.status).toBe('succeeded');
    expect(again.id).not.toBe(paid.id);
    const refund = await stripe.refunds.create({ payment_intent: paid.id, reverse_transfer: true });
    expect(refund.status).toBe('succeeded');
    // Balances continue from the saved ledger: the vendor got 2000 - 240 and 1000 - 120, and gave back 2000.
    expect(second.balances()).toEqual([
      { account: 'platform', currency: 'gbp', available: 240 + 120 },
      { account: vendor, currency: 'gbp', available: 2000 - 240 + 1000 - 120 - 2000 },
    ]);
    const types = second.events().map((e) => e.type);
    expect(types.filter((t) => t === 'payment_intent.succeeded')).toHaveLength(2);
    const ids = second.events().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps webhook endpoints: the same endpoint registered again gets its saved id and secret back', async () => {
    const first = await start();
    const received: string[] = [];
    const handler = (body: string) => {
      received.push((JSON.parse(body) as { type: string }).type);
      return { status: 200 };
    };
    const endpoint = first.addWebhookEndpoint({ handler, connect: true });
    const url = first.addWebhookEndpoint({ url: 'http://127.0.0.1:9/webhooks', enabledEvents: ['charge.refunded'] });
    await readyAccount(first, first.stripe());
    await first.flushWebhooks();
    const attempts = first.deliveries();
    expect(attempts.length).toBeGreaterThan(0);
    await first.close();

    const second = await start();
    expect(second.deliveries()).toEqual(attempts);
    expect(second.addWebhookEndpoint({ handler, connect: true })).toEqual(endpoint);
    expect(second.addWebhookEndpoint({ url: 'http://127.0.0.1:9/webhooks', enabledEvents: ['charge.refunded'] })).toEqual(url);
    // A further registration is a new endpoint, as it would be without a restart.
    expect(second.addWebhookEndpoint({ handler, connect: true }).id).not.toBe(endpoint.id);
    received.length = 0;
    const account = await second
      .stripe()
      .accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    second.completeOnboarding(account.id);
    await second.flushWebhooks();
    expect(received).toContain('account.updated');
  });

  it('saves each change on its own, after the delay, atomically and without leftovers', async () => {
    const sandbox = await start({ saveDelayMs: 0 });
    const account = await sandbox
      .stripe()
      .accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    await vi.waitFor(() => expect(readFileSync(file, 'utf8')).toContain(account.id));
    await sandbox.save();
    expect(readdirSync(join(dir, 'nested'))).toEqual(['stripe.json']);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { format: string; platformId: string };
    expect(saved).toMatchObject({ format: 'stripe-marketplace-sandbox/1', platformId: sandbox.platformId });
  });

  it('reports a write that failed after a change at the next save, instead of losing it silently', async () => {
    const sandbox = await start({ saveDelayMs: 0 });
    rmSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'nested'), 'not a directory');
    await sandbox.stripe().accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    // The timer's write fails; the failure is kept even once the disk is fine again, and reported once.
    const persister = (sandbox as unknown as { persister: { failure: unknown } }).persister;
    await vi.waitFor(() => expect(persister.failure).toBeDefined());
    rmSync(join(dir, 'nested'));
    await expect(sandbox.save()).rejects.toThrow(/ENOTDIR|EEXIST/);
    await sandbox.save();
    expect(readFileSync(file, 'utf8')).toContain(sandbox.platformId);
  });

  it('refuses a file that is not a saved sandbox, naming it', async () => {
    writeFileSync(join(dir, 'other.json'), '{"hello":1}');
    await expect(createSandbox({ file: join(dir, 'other.json') })).rejects.toThrow(
      `createSandbox: ${join(dir, 'other.json')} is not a saved sandbox of format stripe-marketplace-sandbox/1`,
    );
    writeFileSync(join(dir, 'broken.json'), '{"format":');
    await expect(createSandbox({ file: join(dir, 'broken.json') })).rejects.toThrow(/is not a saved sandbox \(/);
    await expect(createSandbox({ file, saveDelayMs: -1 })).rejects.toThrow('saveDelayMs takes a non-negative integer');
  });
});
