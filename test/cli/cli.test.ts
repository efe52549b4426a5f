import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Marketplace, percentage } from '../../src/index.js';
import { type PostgresStorage, postgresStorage } from '../../src/postgres.js';
import { signPayload } from '../../src/testing/index.js';
import { dropTables, SERVER_REQUIRED, serverPool, uniquePrefix } from '../storage/helpers.js';

/**
 * The command line, run as a user runs it: the built `dist/cli.js` in a child process (npm test builds first).
 * The sandbox runs as `stripe-marketplace sandbox`, and the inbox commands work on the PostgreSQL server.
 */
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without the variables the CLI reads, so that only what a test passes counts. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { STRIPE_SECRET_KEY: _k, STRIPE_API_BASE: _b, ...env } = process.env;
  return { ...env, ...extra };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: cleanEnv(env), timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
});

describe('stripe-marketplace: help and usage', () => {
  it('--help on the whole and on each command prints its usage and exits 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['sandbox', 'migrate', 'events replay|backfill|work|prune']) expect(top.stdout).toContain(command);
    for (const [args, usage] of [
      [['sandbox', '--help'], 'Usage: stripe-marketplace sandbox'],
      [['migrate', '--help'], 'Usage: stripe-marketplace migrate'],
      [['events', '--help'], 'Usage: stripe-marketplace events <replay|backfill|work|prune>'],
      [['events', 'replay', '--help'], 'Usage: stripe-marketplace events replay'],
      [['events', 'backfill', '-h'], 'Usage: stripe-marketplace events backfill'],
      [['events', 'work', '--help'], 'Usage: stripe-marketplace events work'],
      [['events', 'prune', '--help'], 'Usage: stripe-marketplace events prune'],
    ] as const) {
      const run = await cli([...args]);
      expect({ args, code: run.code, usage: run.stdout.startsWith(usage) }).toEqual({ args, code: 0, usage: true });
    }
  });

  it('bad usage exits 2 with the message and the help text, before touching a database or Stripe', async () => {
    const cases: [string[], RegExp, string][] = [
      [[], /name a command/, 'Usage: stripe-marketplace <command>'],
      [['deploy'], /unknown command "deploy"/, 'Usage: stripe-marketplace <command>'],
      [['migrate'], /--database-url is required/, 'Usage: stripe-marketplace migrate'],
      [['migrate', '--database-url', 'postgres://x', '--force'], /Unknown option '--force'/, 'Usage: stripe-marketplace migrate'],
      [['events'], /name an operation/, 'Usage: stripe-marketplace events'],
      [['events', 'purge'], /unknown operation "purge"/, 'Usage: stripe-marketplace events'],
      [['events', 'replay', '--api-key', 'sk_test_x'], /--database-url is required/, 'Usage: stripe-marketplace events replay'],
      // The port is closed: a command that reached the database would fail with 1, not 2.
      [['events', 'replay', '--database-url', 'postgres://127.0.0.1:1/x'], /--api-key or set STRIPE_SECRET_KEY/, 'events replay'],
      [['events', 'backfill', '--database-url', 'postgres://127.0.0.1:1/x'], /--since is required/, 'events backfill'],
      [
        ['events', 'backfill', '--database-url', 'postgres://127.0.0.1:1/x', '--since', 'yesterday'],
        /--since: expected/,
        'backfill',
      ],
      [['events', 'work', '--database-url', 'postgres://127.0.0.1:1/x', '--concurrency', '0'], /--concurrency: expected/, 'work'],
      [['events', 'prune', '--database-url', 'postgres://127.0.0.1:1/x', '--older-than', '5'], /--older-than: expected/, 'prune'],
      [['sandbox', '--port', '70000'], /--port: expected a whole number from 0 to 65535/, 'Usage: stripe-marketplace sandbox'],
      [['sandbox', '--forward-to', 'localhost:3000'], /--forward-to: expected an http\(s\) URL/, 'sandbox'],
      [['sandbox', '--webhook-secret', 'secret'], /starts with whsec_/, 'Usage: stripe-marketplace sandbox'],
    ];
    for (const [args, message, help] of cases) {
      const run = await cli(args, { STRIPE_API_BASE: 'http://127.0.0.1:1' });
      expect({ args, code: run.code, message: message.test(run.stderr), help: run.stderr.includes(help) }).toEqual({
        args,
        code: 2,
        message: true,
        help: true,
      });
      expect(run.stdout).toBe('');
    }
  });

  it("sandbox --forward-connect-to alone forwards only connected accounts' events, and stops cleanly on SIGINT", async () => {
    const only = await startSandbox(['--forward-connect-to', 'http://127.0.0.1:1/hook']);
    expect(only.output()).toMatch(
      /Connect webhook secret: {2}whsec_[0-9a-f]{48} \(events forwarded to http:\/\/127\.0\.0\.1:1\/hook\)/,
    );
    expect(only.output()).not.toContain('Platform webhook secret');
    only.child.kill('SIGINT');
    expect(await exited(only.child)).toBe(0);
    expect(only.output()).toContain('SIGINT: stopping the sandbox');
    // The port is free again: the server closed.
    await expect(fetch(`${only.url}/v1/accounts`)).rejects.toThrow();
  });

  it('a database that cannot be reached is a failure (exit 1) with the reason, not a usage error', async () => {
    const run = await cli(['migrate', '--database-url', 'postgres://postgres@127.0.0.1:1/test']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).not.toContain('Usage:');
  });
});

/** `stripe-marketplace sandbox` in a child process; resolves once it printed its settings. */
async function startSandbox(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [CLI, 'sandbox', '--port', '0', ...args], { env: cleanEnv() });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await waitFor(
    () => output.includes('Ready.'),
    () => `the sandbox did not start: ${output}`,
  );
  const url = /Stripe sandbox ready at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!url) throw new Error(`no URL in the sandbox output: ${output}`);
  return { child, url, output: () => output };
}

async function waitFor(ready: () => boolean | Promise<boolean>, message: () => string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

const PLATFORM_SECRET = 'whsec_cli_platform_test';
const CONNECT_SECRET = 'whsec_cli_connect_test';
const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

describe.skipIf(!SERVER_REQUIRED)('stripe-marketplace on PostgreSQL and the sandbox', () => {
  const DATABASE_URL = process.env.DATABASE_URL ?? '';
  let pool: pg.Pool;
  let hook: Server;
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  let stripe: Stripe;
  let live: Marketplace;
  const storages: PostgresStorage[] = [];

  /** A migrated storage on its own table prefix, dropped after the file. */
  async function storage(tag: string): Promise<PostgresStorage> {
    const s = postgresStorage({ client: pool, tablePrefix: uniquePrefix(tag) });
    await s.migrate();
    storages.push(s);
    return s;
  }

  const db = (s: PostgresStorage) => ['--database-url', DATABASE_URL, '--table-prefix', s.tablePrefix];

  /** Onboards a vendor through the sandbox's hosted page over HTTP; the account.updated events follow. */
  async function onboard(market: Marketplace, vendorId: string): Promise<string> {
    const { url, accountId } = await market.onboardVendor({ vendorId, country: 'GB', ...urls });
    await (await fetch(url)).arrayBuffer();
    const form = await fetch(url, {
      method: 'POST',
      body: 'action=complete',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    await form.arrayBuffer();
    return accountId;
  }

  /** The connected account's events, as `events.list` with `stripeAccount` gives them. */
  async function accountEvents(accountId: string): Promise<Stripe.Event[]> {
    const listed = await stripe.events.list({ limit: 100 }, { stripeAccount: accountId });
    return listed.data.map((event) => ({ ...event, account: event.account ?? accountId }));
  }

  beforeAll(async () => {
    pool = serverPool(10);
    // The webhook endpoint the sandbox forwards to: it answers with market.handleWebhook.
    hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void live
          .handleWebhook({ body: Buffer.concat(chunks), signature: String(req.headers['stripe-signature'] ?? '') })
          .then((result) => {
            res.writeHead(result.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ outcome: result.outcome }));
          });
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhooks/stripe`;
    sandbox = await startSandbox([
      '--forward-to',
      hookUrl,
      '--webhook-secret',
      PLATFORM_SECRET,
      '--connect-webhook-secret',
      CONNECT_SECRET,
    ]);
    const base = new URL(sandbox.url);
    stripe = new Stripe('sk_test_cli', { host: base.hostname, port: Number(base.port), protocol: 'http', maxNetworkRetries: 0 });
    live = new Marketplace({
      stripe,
      storage: await storage('cli_live'),
      commission: percentage(10),
      webhookSecrets: { platform: PLATFORM_SECRET, connect: CONNECT_SECRET },
      livemode: false,
    });
  });

  afterAll(async () => {
    if (sandbox) {
      sandbox.child.kill('SIGTERM');
      await exited(sandbox.child);
    }
    await new Promise((resolve) => hook?.close(resolve));
    for (const s of storages) await dropTables(s);
    await pool?.end();
  });

  it('migrate creates the schema, says so, and is idempotent on a second run', async () => {
    const prefix = uniquePrefix('cli_migrate');
    const target = postgresStorage({ client: pool, tablePrefix: prefix });
    storages.push(target);
    const first = await cli(['migrate', '--database-url', DATABASE_URL, '--table-prefix', prefix]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`Migrated schema from version none to 2 (tables ${prefix}*).\n`);
    const { rows } = await target.query<{ inbox: string | null }>('SELECT to_regclass($1)::text AS inbox', [`${prefix}inbox`]);
    expect(rows[0]?.inbox).toBe(`${prefix}inbox`);
    const second = await cli(['migrate', '--database-url', DATABASE_URL, '--table-prefix', prefix]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toBe(`Schema is up to date: version 2 (tables ${prefix}*).\n`);
  });

  it('sandbox prints its settings and forwards each event, printing the delivery as stripe listen does', async () => {
    const output = sandbox.output();
    expect(output).toContain(`API key:          sk_test_sandbox`);
    expect(output).toContain(`Dashboard:        ${sandbox.url}/`);
    expect(output).toContain(`Platform webhook secret: ${PLATFORM_SECRET}`);
    expect(output).toContain(`Connect webhook secret:  ${CONNECT_SECRET}`);

    const accountId = await onboard(live, 'driver_forwarded');
    // The vendor becomes active only through the forwarded account.updated delivery.
    await waitFor(
      async () => (await live.getVendor('driver_forwarded'))?.status === 'active',
      () => `the vendor did not become active; sandbox output:\n${sandbox.output()}`,
    );
    const [event] = (await accountEvents(accountId)).filter((e) => e.type === 'account.updated');
    const when = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';
    await waitFor(
      () => sandbox.output().includes(`[200] POST`),
      () => sandbox.output(),
    );
    expect(sandbox.output()).toMatch(new RegExp(`${when}   --> connect account\\.updated \\[${event?.id}\\]`));
    expect(sandbox.output()).toMatch(
      new RegExp(`${when}  <--  \\[200\\] POST http://127\\.0\\.0\\.1:\\d+/webhooks/stripe \\[${event?.id}\\]`),
    );
  });

  it('events backfill lists events from the sandbox (--api-base) and processes them once', async () => {
    const accountId = await onboard(live, 'driver_backfill');
    const target = await storage('cli_backfill');
    const args = ['events', 'backfill', ...db(target), '--since', '1h', '--account', accountId, '--api-base', sandbox.url];
    const first = await cli(args, { STRIPE_SECRET_KEY: 'sk_test_cli' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const processed = Number(/processed (\d+)/.exec(first.stdout)?.[1]);
    const listed = await target.listEvents({ limit: 1000 });
    expect(processed).toBeGreaterThan(0);
    expect(listed.length).toBe(processed);
    expect(listed.every((e) => e.source === 'backfill' && e.status === 'processed')).toBe(true);
    expect(listed.some((e) => e.account === accountId && e.type === 'account.updated')).toBe(true);
    // A second run finds every event processed already.
    const second = await cli(args, { STRIPE_SECRET_KEY: 'sk_test_cli' });
    expect(second).toMatchObject({ code: 0, stdout: `backfill: processed 0, duplicates ${processed}, failed 0, skipped 0\n` });
  });

  it('events replay: failures exit 1 and stay failed; once Stripe answers they are processed and exit 0', async () => {
    const target = await storage('cli_replay');
    const market = new Marketplace({ stripe, storage: target, commission: percentage(10), livemode: false });
    const accountId = await onboard(market, 'driver_replay');
    const events = (await accountEvents(accountId)).filter((e) => e.type === 'account.updated');
    market.onAny(() => {
      throw new Error('the notification service is down');
    });
    for (const event of events) expect((await market.receiveEvent(event)).outcome).toBe('failed');
    const n = events.length;
    expect(n).toBeGreaterThan(0);

    // Nothing listens on port 1: the projection's accounts.retrieve fails, so each event fails again.
    const down = await cli(['events', 'replay', ...db(target), '--api-key', 'sk_test_cli', '--api-base', 'http://127.0.0.1:1']);
    expect(down).toMatchObject({ code: 1, stdout: `replay: processed 0, duplicates 0, failed ${n}, skipped 0\n` });
    expect(await target.listEvents({ statuses: ['failed'], limit: 100 })).toHaveLength(n);

    const up = await cli(['events', 'replay', ...db(target), '--api-base', sandbox.url], { STRIPE_SECRET_KEY: 'sk_test_cli' });
    expect(up).toMatchObject({ code: 0, stdout: `replay: processed ${n}, duplicates 0, failed 0, skipped 0\n` });
    expect(await target.listEvents({ statuses: ['failed'], limit: 100 })).toEqual([]);
    expect((await market.getVendor('driver_replay'))?.status).toBe('active');
  });

  it('events work drains an inbox, stops on SIGTERM with a summary, and prune removes what it processed', async () => {
    const target = await storage('cli_work');
    const market = new Marketplace({
      stripe,
      storage: target,
      commission: percentage(10),
      livemode: false,
      webhookMode: 'inbox',
      webhookSecrets: { connect: CONNECT_SECRET },
    });
    const accountId = await onboard(market, 'driver_work');
    const events = await accountEvents(accountId);
    // Delivered in inbox mode: each is stored and acknowledged, and waits for a worker.
    for (const event of events) {
      const body = JSON.stringify(event);
      const signature = await signPayload(body, CONNECT_SECRET, Math.floor(Date.now() / 1000));
      expect((await market.handleWebhook({ body, signature })).outcome).toBe('queued');
    }
    const env = { STRIPE_SECRET_KEY: 'sk_test_cli', STRIPE_API_BASE: sandbox.url };

    const drained = await cli(['events', 'work', ...db(target), '--until-idle', '--concurrency', '2'], env);
    expect(drained).toMatchObject({ code: 0, stdout: `work: processed ${events.length}, duplicates 0, failed 0, skipped 0\n` });
    expect((await market.getVendor('driver_work'))?.status).toBe('active');

    // Without --until-idle the worker waits for more until it is told to stop.
    const worker = spawn(process.execPath, [CLI, 'events', 'work', ...db(target)], { env: cleanEnv(env) });
    let out = '';
    let err = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    worker.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    // Give it time to start and find the inbox empty; it must then keep waiting rather than exit.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(worker.exitCode).toBe(null);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(err).toContain('SIGTERM: finishing the events in hand, then stopping');
    expect(out).toBe('work: processed 0, duplicates 0, failed 0, skipped 0\n');

    const kept = await cli(['events', 'prune', ...db(target)]);
    expect(kept).toMatchObject({ code: 0, stdout: 'prune: removed 0 processed events and 0 expired records\n' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const pruned = await cli(['events', 'prune', ...db(target), '--older-than', '0s']);
    expect(pruned).toMatchObject({ code: 0, stdout: `prune: removed ${events.length} processed events and 0 expired records\n` });
    expect(await target.listEvents({ limit: 100 })).toEqual([]);
  });
});
