/**
 * Wires the example marketplace: Stripe (real test mode with a key, the offline sandbox without one) and
 * storage (PGlite in a local folder by default, PostgreSQL when DATABASE_URL is set).
 */
import { existsSync } from 'node:fs';
import Stripe from 'stripe';
import { type Logger, Marketplace, percentage } from 'stripe-marketplace';
import { postgresStorage, type PostgresStorage } from 'stripe-marketplace/postgres';
import { createSandbox, type StripeSandbox } from 'stripe-marketplace/testing';
import type { PGlite } from '@electric-sql/pglite';
import { deferredStorage, openPglite } from './pglite.js';

export interface ExampleOptions {
  /** Where PGlite keeps its files when DATABASE_URL is not set. */
  dataDir: string;
  /** Environment variables (default `process.env`, after loading `.env` when present). */
  env?: NodeJS.ProcessEnv;
  /** Use this sandbox instead of creating one (tests share one across server restarts). */
  sandbox?: StripeSandbox;
  /** The Marketplace's logger (silent when omitted). */
  logger?: Logger;
  /** Called with the Stripe client once it is made, to watch its requests. */
  watchStripe?: (stripe: Stripe) => void;
}

export interface Example {
  market: Marketplace;
  /** Usable at once: with PGlite, its calls wait until the database is open (see `ready`). */
  storage: PostgresStorage;
  /** Settles when storage is open and migrated; rejects when it cannot be (the server cannot serve then). */
  ready: Promise<StorageReady>;
  /** Present when running offline. */
  sandbox: StripeSandbox | undefined;
  checkoutMode: 'hosted' | 'embedded';
  publishableKey: string | undefined;
  stripeLabel: string;
  /** Call once the server listens: registers the sandbox's webhook endpoints at `${baseUrl}/webhooks/stripe`. */
  serverStarted(baseUrl: string): void;
  close(): Promise<void>;
}

/** The sandbox's signing secrets; any `whsec_` value works offline. */
export const SANDBOX_SECRETS = { platform: 'whsec_example_platform', connect: 'whsec_example_connect' };

export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

interface OpenedStorage {
  storage: PostgresStorage;
  /** Settles once the database is open and migrated (PGlite opens in the background); rejects if it cannot be. */
  ready: Promise<StorageReady>;
  /** Starts opening the database now, if it is not open or opening yet. */
  open(): void;
  close(): Promise<void>;
}

/** How storage came up: for the start-up line. */
export interface StorageReady {
  /** Milliseconds from the call to an open, migrated database. */
  ms: number;
  /** `postgres`, or for PGlite how its folder was set up (`existing`, `template`, `new template`). */
  origin: string;
}

async function openStorage(env: NodeJS.ProcessEnv, dataDir: string): Promise<OpenedStorage> {
  const started = performance.now();
  if (env.DATABASE_URL) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 5 });
    const storage = postgresStorage({ client: pool });
    await storage.migrate();
    return {
      storage,
      ready: Promise.resolve({ ms: performance.now() - started, origin: 'postgres' }),
      open() {},
      close: () => pool.end(),
    };
  }
  // PGlite opens once the server listens (or at the first storage call, whichever comes first): its WebAssembly
  // start-up holds the event loop, so it must not delay the listening socket. Requests meanwhile wait on it.
  let opening: Promise<{ db: PGlite; storage: PostgresStorage }> | undefined;
  let settle: { resolve(ready: StorageReady): void; reject(error: unknown): void } | undefined;
  const ready = new Promise<StorageReady>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Reported by whoever awaits `ready`, and by every storage call: not an unhandled rejection meanwhile.
  ready.catch(() => {});
  const open = () => {
    opening ??= (async () => {
      const started = performance.now();
      const { db, origin } = await openPglite(dataDir);
      const storage = postgresStorage({ client: db });
      try {
        await storage.migrate();
      } catch (error) {
        await db.close();
        throw error;
      }
      settle?.resolve({ ms: performance.now() - started, origin });
      return { db, storage };
    })();
    opening.catch((error: unknown) => settle?.reject(error));
    return opening;
  };
  return {
    storage: deferredStorage(async () => (await open()).storage),
    ready,
    open: () => void open().catch(() => {}),
    async close() {
      const opened = await opening?.catch(() => null);
      await opened?.db.close();
    },
  };
}

/**
 * Cart transfers that failed, or that a stopped server left behind, are retried by `settleTransfers`: a real
 * platform runs it from a cron job; the example runs it once a minute while it is up.
 */
function settleEveryMinute(market: Marketplace, logger: Logger | undefined): () => void {
  const timer = setInterval(() => {
    market.settleTransfers().catch((error: unknown) => {
      logger?.error?.('settleTransfers failed', { error: error instanceof Error ? error.message : String(error) });
    });
  }, 60_000);
  timer.unref();
  return () => clearInterval(timer);
}

export async function createExample(options: ExampleOptions): Promise<Example> {
  const env = options.env ?? process.env;
  const secretKey = env.STRIPE_SECRET_KEY;
  if (secretKey && !options.sandbox && (!env.STRIPE_PUBLISHABLE_KEY || !env.STRIPE_WEBHOOK_SECRET)) {
    throw new Error('With STRIPE_SECRET_KEY, also set STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (see .env.example)');
  }
  const { storage, ready, open: openNow, close: closeStorage } = await openStorage(env, options.dataDir);

  if (secretKey && !options.sandbox) {
    const stripe = new Stripe(secretKey);
    options.watchStripe?.(stripe);
    const market = new Marketplace({
      stripe,
      storage,
      ...(options.logger ? { logger: options.logger } : {}),
      commission: percentage(12),
      webhookSecrets: {
        platform: env.STRIPE_WEBHOOK_SECRET,
        ...(env.STRIPE_CONNECT_WEBHOOK_SECRET ? { connect: env.STRIPE_CONNECT_WEBHOOK_SECRET } : {}),
      },
      livemode: secretKey.startsWith('sk_live_') || secretKey.startsWith('rk_live_'),
    });
    const stopSettling = settleEveryMinute(market, options.logger);
    return {
      market,
      storage,
      ready,
      sandbox: undefined,
      checkoutMode: 'embedded',
      publishableKey: env.STRIPE_PUBLISHABLE_KEY,
      stripeLabel: 'Stripe test mode',
      serverStarted: openNow,
      async close() {
        stopSettling();
        await closeStorage();
      },
    };
  }

  const ownSandbox = !options.sandbox;
  const sandbox = options.sandbox ?? createSandbox();
  if (ownSandbox) await sandbox.listen();
  const stripe = sandbox.stripe();
  options.watchStripe?.(stripe);
  const market = new Marketplace({
    stripe,
    storage,
    ...(options.logger ? { logger: options.logger } : {}),
    commission: percentage(12),
    webhookSecrets: SANDBOX_SECRETS,
    livemode: false,
  });
  const stopSettling = settleEveryMinute(market, options.logger);
  return {
    market,
    storage,
    ready,
    sandbox,
    checkoutMode: 'hosted',
    publishableKey: undefined,
    stripeLabel: 'offline sandbox (no key set)',
    serverStarted(baseUrl) {
      openNow();
      if (!ownSandbox) return; // the caller registered the endpoints
      const url = `${baseUrl}/webhooks/stripe`;
      sandbox.addWebhookEndpoint({ url, secret: SANDBOX_SECRETS.platform });
      sandbox.addWebhookEndpoint({ url, secret: SANDBOX_SECRETS.connect, connect: true });
    },
    async close() {
      stopSettling();
      if (ownSandbox) await sandbox.close();
      await closeStorage();
    },
  };
}
