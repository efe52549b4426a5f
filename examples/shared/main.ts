/**
 * Starts one example server: `npm run example:express` or `npm run example:fastify`.
 * Without STRIPE_SECRET_KEY it runs offline against the sandbox; see .env.example for real test mode.
 * HOST (default 127.0.0.1) and PORT (default 3000) choose where it listens.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StripeSandbox } from 'stripe-marketplace/testing';
import { exampleLog, type Write } from './log.js';
import type { RouteDeps } from './routes.js';
import { createExample, type Example, loadDotEnv } from './setup.js';

/** How a framework serves the example: the Express and Fastify apps each provide one. */
export interface Listener {
  listen(port: number, host: string): Promise<Server>;
  close(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  host?: string;
  env?: NodeJS.ProcessEnv;
  /** Use this sandbox (tests share one across restarts); its webhook endpoints are then the caller's to register. */
  sandbox?: StripeSandbox;
  /** Where the request, Stripe and webhook lines go (default: standard output). */
  write?: Write;
  /** The clock of the order pages' refresh policy (default `Date.now`). */
  now?: () => number;
}

export interface RunningExample {
  baseUrl: string;
  port: number;
  example: Example;
  /** Stops the server and closes storage (and the sandbox, unless the caller passed one). */
  stop(): Promise<void>;
}

/** `http://127.0.0.1:3000`; a server on every interface is reached through `localhost`. */
export function originOf(address: AddressInfo): string {
  const host = ['0.0.0.0', '::'].includes(address.address) ? 'localhost' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export async function startExample(build: (deps: RouteDeps) => Listener, options: StartOptions): Promise<RunningExample> {
  const env = options.env ?? process.env;
  const log = exampleLog(options.write, { debug: env.LOG_LEVEL === 'debug' });
  const example = await createExample({
    dataDir: options.dataDir,
    env,
    logger: log.logger,
    watchStripe: log.watch,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  });
  let baseUrl = '';
  const app = build({
    market: example.market,
    baseUrl: () => baseUrl,
    checkoutMode: example.checkoutMode,
    ...(example.publishableKey ? { publishableKey: example.publishableKey, onboarding: 'embedded' as const } : {}),
    stripeLabel: example.stripeLabel,
    ...(env.SESSION_SECRET ? { sessionSecret: env.SESSION_SECRET } : {}),
    ...(options.now ? { now: options.now } : {}),
    log,
  });
  let server: Server;
  try {
    server = await app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  } catch (error) {
    await example.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  baseUrl = originOf(address);
  example.serverStarted(baseUrl);
  return {
    baseUrl,
    port: address.port,
    example,
    async stop() {
      await app.close();
      await example.close();
    },
  };
}

export async function main(name: string, build: (deps: RouteDeps) => Listener): Promise<void> {
  loadDotEnv();
  const running = await startExample(build, {
    dataDir: process.env.DATA_DIR ?? `.data/${name.toLowerCase()}`,
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
  });
  process.stdout.write(
    `${name} example marketplace: open ${running.baseUrl} (Stripe: ${running.example.stripeLabel}; Ctrl+C stops)\n`,
  );
  running.example.ready.then(
    ({ ms, origin }) => {
      const uptime = Math.round(process.uptime() * 1000);
      process.stdout.write(`storage ready (${origin}) in ${Math.round(ms)} ms; ${uptime} ms since the process started\n`);
    },
    async (error: unknown) => {
      process.stderr.write(`storage could not be opened: ${error instanceof Error ? error.message : String(error)}\n`);
      await running.stop().catch(() => {});
      process.exit(1);
    },
  );
  // Apple Pay and Google Pay show only on a registered domain; the platform is the merchant of record of the example's
  // destination charges, so the domain is registered on the platform. Stripe cannot register localhost.
  const domain = process.env.PAYMENT_DOMAIN;
  if (domain && running.example.publishableKey) {
    running.example.market.registerPaymentDomain(domain).then(
      (d) =>
        process.stdout.write(
          `payment domain ${d.domain} ${d.created ? 'registered' : 'already registered'} (Apple Pay ${d.applePay.status}, Google Pay ${d.googlePay.status})\n`,
        ),
      (error: unknown) =>
        process.stderr.write(
          `payment domain ${domain} not registered: ${error instanceof Error ? error.message : String(error)}\n`,
        ),
    );
  }
  const stop = async () => {
    await running.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
