import type Stripe from 'stripe';
import type { PostgresStorage } from '../storage/postgres.js';
import { type Io, UsageError } from './args.js';

/** The flags every database command takes. */
export const DATABASE_OPTIONS = {
  'database-url': { type: 'string' },
  'table-prefix': { type: 'string' },
} as const;

export const DATABASE_HELP = `  --database-url <url>   PostgreSQL connection string (required), e.g. postgres://user@host:5432/db
  --table-prefix <p>     Table name prefix (default marketplace_)`;

export const STRIPE_HELP = `  --api-key <key>        Stripe secret key (default: the STRIPE_SECRET_KEY environment variable)
  --api-base <url>       Another Stripe API origin, e.g. http://127.0.0.1:12111 for the sandbox
                         (default: the STRIPE_API_BASE environment variable, else api.stripe.com)`;

export interface Database {
  readonly storage: PostgresStorage;
  close(): Promise<void>;
}

/** Opens a `pg.Pool` on `--database-url` and a `postgresStorage` over it. `pg` is loaded only here. */
export async function openDatabase(
  values: { 'database-url'?: string; 'table-prefix'?: string },
  help: string,
): Promise<Database> {
  const url = values['database-url'];
  if (!url) throw new UsageError('--database-url is required', help);
  const [{ default: pg }, { postgresStorage }] = await Promise.all([
    import('pg').catch((error: unknown) => {
      throw new Error(`the PostgreSQL commands need the pg package: npm install pg (${String(error)})`);
    }),
    import('../storage/postgres.js'),
  ]);
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  try {
    const storage = postgresStorage({ client: pool, ...(values['table-prefix'] ? { tablePrefix: values['table-prefix'] } : {}) });
    return { storage, close: () => pool.end() };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/** `http://127.0.0.1:12111` as stripe-node's `host`, `port` and `protocol`. */
export function apiBaseConfig(base: string, help: string): { host: string; port: number; protocol: 'http' | 'https' } {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`--api-base: expected a URL such as http://127.0.0.1:12111, got "${base}"`, help);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '') {
    throw new UsageError(`--api-base: expected an http(s) origin without a path, got "${base}"`, help);
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/**
 * A stripe-node client from `--api-key` (or STRIPE_SECRET_KEY) and `--api-base` (or STRIPE_API_BASE). With
 * `required: false` and no key, a client whose key is a placeholder: for commands that never call Stripe.
 */
export async function openStripe(
  values: { 'api-key'?: string; 'api-base'?: string },
  io: Io,
  help: string,
  required: boolean,
): Promise<{ stripe: Stripe; livemode: boolean | undefined }> {
  const key = values['api-key'] ?? io.env.STRIPE_SECRET_KEY;
  if (!key && required) {
    throw new UsageError('a Stripe secret key is required: pass --api-key or set STRIPE_SECRET_KEY', help);
  }
  const base = values['api-base'] ?? io.env.STRIPE_API_BASE;
  const { default: StripeClient } = await import('stripe');
  const stripe = new StripeClient(key ?? 'sk_test_not_used', {
    ...(base ? apiBaseConfig(base, help) : {}),
    telemetry: false,
    appInfo: { name: 'stripe-marketplace-cli' },
  });
  // The key's mode is the deployment's: events of the other mode are counted as skipped, never processed.
  const livemode = key && /^[sr]k_live_/.test(key) ? true : key && /^[sr]k_test_/.test(key) ? false : undefined;
  return { stripe, livemode };
}
