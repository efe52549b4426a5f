import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type StripeSandbox } from 'stripe-marketplace/testing';
import { listener as expressListener } from '../../examples/express/app.js';
import { listener as fastifyListener } from '../../examples/fastify/app.js';
import { type RunningExample, startExample as startServer } from '../../examples/shared/main.js';
import { SANDBOX_SECRETS } from '../../examples/shared/setup.js';

export type Framework = 'express' | 'fastify';
export type { RunningExample };

/** A sandbox listening on loopback whose webhooks go to `${exampleUrl}/webhooks/stripe` once registered. */
export async function startSandbox(options: Parameters<typeof createSandbox>[0] = {}): Promise<StripeSandbox> {
  const sandbox = createSandbox(options);
  await sandbox.listen({ host: '127.0.0.1' });
  return sandbox;
}

export function registerWebhooks(sandbox: StripeSandbox, baseUrl: string): void {
  const url = `${baseUrl}/webhooks/stripe`;
  sandbox.addWebhookEndpoint({ url, secret: SANDBOX_SECRETS.platform });
  sandbox.addWebhookEndpoint({ url, secret: SANDBOX_SECRETS.connect, connect: true });
}

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'marketplace-example-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ExampleOptions {
  /** 0 (default): any free port. */
  port?: number;
  /** Collects the log lines (default: dropped). */
  log?: string[];
  /** The clock of the order pages (default `Date.now`). */
  now?: () => number;
}

/**
 * Starts one example app as `npm run example:*` does (same start-up code), but on the given sandbox and data folder,
 * on 127.0.0.1.
 */
export function startExample(
  framework: Framework,
  sandbox: StripeSandbox,
  dataDir: string,
  { port = 0, log, now }: ExampleOptions = {},
): Promise<RunningExample> {
  return startServer(framework === 'express' ? expressListener : fastifyListener, {
    dataDir,
    port,
    sandbox,
    env: {},
    write: (line) => log?.push(line),
    ...(now ? { now } : {}),
  });
}

/** Onboards `vendorId` through the example's Marketplace and completes it in the sandbox: a driver who can be paid. */
export async function activeDriver(running: RunningExample, sandbox: StripeSandbox, vendorId: string): Promise<void> {
  const { market } = running.example;
  const { accountId } = await market.onboardVendor({
    vendorId,
    returnUrl: `${running.baseUrl}/vendors/${vendorId}/return`,
    refreshUrl: `${running.baseUrl}/vendors/${vendorId}/refresh`,
  });
  sandbox.completeOnboarding(accountId);
  await market.completeOnboarding({ vendorId });
}

/** A tiny browser: follows nothing by itself, so each redirect is visible. */
export interface Answer {
  status: number;
  location: string | null;
  /** The `name=value` part of the `Set-Cookie` header, ready to send back as `Cookie`. */
  cookie: string | null;
  text: string;
}

async function answer(response: Response): Promise<Answer> {
  const setCookie = response.headers.get('set-cookie');
  return {
    status: response.status,
    location: response.headers.get('location'),
    cookie: setCookie ? (setCookie.split(';')[0] ?? null) : null,
    text: await response.text(),
  };
}

export async function get(url: string, cookie?: string): Promise<Answer> {
  return answer(await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} }));
}

export async function post(url: string, form: Record<string, string>, cookie?: string): Promise<Answer> {
  return answer(
    await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(form).toString(),
    }),
  );
}

/** The `action` of the first form on a page, resolved against the page's URL. */
export function formAction(html: string, pageUrl: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no form on ${pageUrl}`);
  return new URL(match[1]!.replace(/&amp;/g, '&'), pageUrl).toString();
}

export function textOf(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html)?.[1];
}
