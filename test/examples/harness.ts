import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type StripeSandbox } from 'stripe-marketplace/testing';
import { createApp as createExpressApp } from '../../examples/express/app.js';
import { createApp as createFastifyApp } from '../../examples/fastify/app.js';
import { SANDBOX_SECRETS, createExample, type Example } from '../../examples/shared/setup.js';

export type Framework = 'express' | 'fastify';

export interface RunningExample {
  baseUrl: string;
  port: number;
  example: Example;
  /** Stops the server and closes storage (the sandbox belongs to the caller). */
  stop(): Promise<void>;
}

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

/** Starts one example app as `npm run example:*` would, but on the given sandbox, data folder and port (0: any free one). */
export async function startExample(
  framework: Framework,
  sandbox: StripeSandbox,
  dataDir: string,
  port = 0,
): Promise<RunningExample> {
  const example = await createExample({ dataDir, sandbox, env: {} });
  let baseUrl = '';
  const deps = {
    market: example.market,
    baseUrl: () => baseUrl,
    checkoutMode: example.checkoutMode,
    stripeLabel: example.stripeLabel,
  };
  let server: Server;
  let close: () => Promise<void>;
  if (framework === 'express') {
    const app = createExpressApp(deps);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, '127.0.0.1', () => resolve(s));
    });
    close = () => new Promise((resolve) => server.close(() => resolve()));
  } else {
    const app = createFastifyApp(deps);
    await app.listen({ port, host: '127.0.0.1' });
    server = app.server;
    close = () => app.close();
  }
  const actualPort = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${actualPort}`;
  return {
    baseUrl,
    port: actualPort,
    example,
    async stop() {
      await close();
      await example.close();
    },
  };
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
