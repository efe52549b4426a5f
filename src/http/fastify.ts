/**
 * `stripe-marketplace/fastify`: the webhook route as a Fastify plugin. It registers a Buffer content-type
 * parser inside its own encapsulated context, so the rest of the app keeps its JSON parser, and writes the
 * core's answer back; every HTTP rule lives in `handleWebhook`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { MarketplaceError } from '../errors.js';
import { MAX_WEBHOOK_BODY_BYTES, bodyTooLarge, webhookHttpAnswer, type WebhookResult } from './outcome.js';
import type { WebhookInput } from '../webhooks/handle.js';

export interface FastifyWebhookOptions {
  /** Your Marketplace (anything with `handleWebhook`). */
  marketplace: { handleWebhook(input: WebhookInput): Promise<WebhookResult> };
  /** The route's path. Default `/webhooks/stripe`. */
  path?: string;
  /** The largest body accepted, in bytes; larger requests get 413. Default 1 MiB. */
  bodyLimit?: number;
}

/** Register with `app.register(stripeWebhooks, { marketplace, path })`. Do not wrap it in fastify-plugin. */
export const stripeWebhooks: FastifyPluginAsync<FastifyWebhookOptions> = async (fastify, options) => {
  const market = options?.marketplace;
  if (typeof market?.handleWebhook !== 'function') {
    throw new MarketplaceError('INVALID_OPTIONS', 'stripeWebhooks: pass { marketplace } when you register the plugin');
  }
  const bodyLimit = options.bodyLimit ?? MAX_WEBHOOK_BODY_BYTES;
  // This context only: keep every body as the raw bytes it arrived as.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));
  fastify.setErrorHandler((error: { code?: string }, _request, reply) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    const answer = webhookHttpAnswer(bodyTooLarge(bodyLimit));
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
  fastify.post(options.path ?? '/webhooks/stripe', { bodyLimit }, async (request, reply) => {
    const result = await market.handleWebhook({
      // Fastify always reads the body here, so no body means an empty one.
      body: (request.body as Uint8Array | undefined) ?? new Uint8Array(0),
      signature: request.headers['stripe-signature'] as string | undefined,
    });
    const answer = webhookHttpAnswer(result);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
};
