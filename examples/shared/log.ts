/**
 * What the example servers print: one line per page request, per Stripe API call and per webhook delivery, in the
 * spirit of `stripe listen` and the Dashboard's request log. The Marketplace writes to it through its `logger` option.
 */
import type Stripe from 'stripe';
import type { Logger } from 'stripe-marketplace';

export type Write = (line: string) => void;

export interface ExampleLog {
  /** For `new Marketplace({ logger })`: the library's messages, and a line per handled webhook delivery. */
  readonly logger: Logger;
  /** A page answered: `GET /shop 200 (3 ms)`, or `POST /orders 303 -> <location>`. */
  page(method: string, url: string, status: number, ms: number, location?: string): void;
  /** Why a page answered with an error: the library's message, which the visitor does not see. */
  pageError(method: string, url: string, error: unknown): void;
  /** Prints every request the Stripe client makes (`stripe.on('response')`): method, path, status, idempotency key. */
  watch(stripe: Stripe): void;
}

const time = () => new Date().toISOString().slice(11, 19);

function details(meta: Record<string, unknown> | undefined): string {
  if (!meta) return '';
  const parts = Object.entries(meta)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** `write` defaults to standard output; set `LOG_LEVEL=debug` to also see the library's debug messages. */
export function exampleLog(
  write: Write = (line) => process.stdout.write(`${line}\n`),
  options: { debug?: boolean } = {},
): ExampleLog {
  const line = (text: string) => write(`${time()}  ${text}`);
  const level =
    (name: string) =>
    (message: string, meta?: Record<string, unknown>): void =>
      line(`${name.padEnd(7)}${message}${details(meta)}`);
  const logger: Logger = {
    ...(options.debug ? { debug: level('debug') } : {}),
    info(message, meta) {
      if (message === 'webhook handled' && meta) {
        // As `stripe listen` prints a delivery: the event going in, the endpoint's answer coming back.
        const { eventId, type, status, outcome } = meta;
        const event = type ? `${String(type)} [${String(eventId)}]` : '(unverified request)';
        line(`webhook --> ${event}  <-- [${String(status)}] ${String(outcome)}`);
        return;
      }
      level('info')(message, meta);
    },
    warn: level('warn'),
    error: level('error'),
  };
  return {
    logger,
    page(method, url, status, ms, location) {
      line(`page   ${method} ${url} ${status}${location ? ` -> ${location}` : ''} (${ms} ms)`);
    },
    pageError(method, url, error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? `${String(error.code)}: ` : '';
      const message = error instanceof Error ? error.message : String(error);
      line(`error  ${method} ${url}: ${code}${message}`);
    },
    watch(stripe) {
      stripe.on('response', (response: Stripe.ResponseEvent) => {
        const key = response.idempotency_key ? ` idempotency-key=${response.idempotency_key}` : '';
        const account = response.account ? ` stripe-account=${response.account}` : '';
        line(
          `stripe ${response.method} ${response.path} ${response.status} [${response.request_id ?? 'no request id'}]${key}${account} (${response.elapsed} ms)`,
        );
      });
    },
  };
}
