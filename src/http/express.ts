/**
 * `stripe-marketplace/express`: the webhook endpoint for Express (and plain `node:http`). It reads the
 * raw body itself and writes the core's answer back; every HTTP rule lives in `handleWebhook`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MarketplaceError } from '../errors.js';
import { MAX_WEBHOOK_BODY_BYTES, bodyTooLarge, concatBytes, webhookHttpAnswer, type WebhookResult } from '../webhooks/http.js';
import type { WebhookInput } from '../webhooks/process.js';

/** What the handler needs from a `Marketplace`. */
export interface WebhookTarget {
  handleWebhook(input: WebhookInput): Promise<WebhookResult>;
}

export interface ExpressWebhookOptions {
  /** The largest body read, in bytes; larger requests get 413. Default 1 MiB. */
  limit?: number;
}

type Request = IncomingMessage & { body?: unknown; rawBody?: unknown };
type Next = (error?: unknown) => void;

const TOO_LARGE = Symbol('too large');

function readStream(req: Request, limit: number): Promise<Uint8Array | typeof TOO_LARGE | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const finish = (value: Uint8Array | typeof TOO_LARGE | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      resolve(value);
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      total += bytes.length;
      if (total > limit) {
        finish(TOO_LARGE);
        req.resume(); // discard the rest
        return;
      }
      chunks.push(bytes);
    };
    req.on('data', onData);
    req.once('end', () => finish(concatBytes(chunks)));
    req.once('close', () => finish(undefined));
    req.once('error', (error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

/**
 * The raw body: bytes kept by `keepRawBody` (or by the host, as Cloud Functions do), a Buffer or string
 * from `express.raw()`/`express.text()`, or the stream read here. A body some JSON parser already turned
 * into an object is handed on as it is, and the core rejects it with a message that names the mistake.
 */
async function rawBody(req: Request, limit: number): Promise<unknown> {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === 'string') return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === 'string') return req.body;
  // Unread: read it here (a parser that skipped the request may still have set `req.body = {}`).
  if (!req.readableEnded && (req as { _body?: unknown })._body !== true) return readStream(req, limit);
  return req.body;
}

/**
 * An Express request handler for your Stripe webhook route. Mount it before any global body parser
 * (`app.post('/webhooks/stripe', webhookHandler(market))` above `app.use(express.json())`), or keep the
 * raw bytes with `express.json({ verify: keepRawBody })`.
 */
export function webhookHandler(
  market: WebhookTarget,
  options: ExpressWebhookOptions = {},
): (req: Request, res: ServerResponse, next?: Next) => void {
  if (typeof market?.handleWebhook !== 'function') {
    throw new MarketplaceError('INVALID_INPUT', 'webhookHandler(market): pass your Marketplace');
  }
  const limit = options.limit ?? MAX_WEBHOOK_BODY_BYTES;
  return (req, res, next) => {
    const respond = async () => {
      const body = await rawBody(req, limit);
      const result =
        body === TOO_LARGE
          ? bodyTooLarge(limit)
          : await market.handleWebhook({ body: body as Uint8Array, signature: req.headers['stripe-signature'] as string });
      const answer = webhookHttpAnswer(result);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };
    respond().catch((error: unknown) => {
      if (next) next(error);
      else if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      }
    });
  };
}

/**
 * A `verify` function for `express.json()` that keeps the raw bytes on `req.rawBody`, so that
 * `webhookHandler` works even when it is mounted after `express.json({ verify: keepRawBody })`.
 */
export function keepRawBody(req: IncomingMessage, _res: ServerResponse, buffer: Uint8Array): void {
  (req as Request).rawBody = buffer;
}
