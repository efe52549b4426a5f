/**
 * `stripe-marketplace/express`: the webhook endpoint for Express (and plain `node:http`). It reads the
 * raw body itself and writes the core's answer back; every HTTP rule lives in `handleWebhook`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MarketplaceError } from '../errors.js';
import { MAX_WEBHOOK_BODY_BYTES, bodyTooLarge, webhookHttpAnswer, type WebhookResult } from './outcome.js';
import { rawBody, type Request, TOO_LARGE } from './node-body.js';
import type { WebhookInput } from '../webhooks/handle.js';

/** What the handler needs from a `Marketplace`. */
export interface WebhookTarget {
  handleWebhook(input: WebhookInput): Promise<WebhookResult>;
}

export interface ExpressWebhookOptions {
  /** The largest body read, in bytes; larger requests get 413. Default 1 MiB. */
  limit?: number;
}

type Next = (error?: unknown) => void;

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
