import type { ReceiveOutcome } from '../webhooks/receive.js';
/**
 * The HTTP side of webhook handling, shared by `handleWebhookRequest` and the Express and Fastify entry
 * points, so that every runtime answers Stripe the same way. Web-standard APIs only.
 */

/**
 * What happened to a delivery:
 * - `processed`: verified, and every handler succeeded (200).
 * - `duplicate`: already processed (200), or being processed by another delivery right now (409, retry later).
 * - `ignored`: verified, but of the other mode than `livemode` (200).
 * - `queued`: verified and stored for the inbox worker (`webhookMode: 'inbox'`, 200).
 * - `rejected`: the request is bad: signature missing, wrong or expired, a parsed or empty body (400), or too large (413).
 * - `failed`: a handler, Stripe or storage failed (500); the event is not marked processed, so Stripe delivers it again.
 */
export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored' | 'queued' | 'rejected' | 'failed';

export interface WebhookResult {
  /** The HTTP status to answer Stripe with. */
  readonly status: number;
  readonly outcome: WebhookOutcome;
  /** The event id, once the request is verified. */
  readonly eventId?: string;
  /** The event type, once the request is verified. */
  readonly type?: string;
  /** Why the request was rejected or failed. */
  readonly error?: string;
  /** For an in-progress duplicate (409): seconds until the other delivery's lease expires. */
  readonly retryAfter?: number;
}

/**
 * What the pipeline reports, before it is an HTTP answer: a `ReceiveOutcome` for a verified event, or
 * a request that never got that far.
 */
export type DeliveryOutcome =
  | ReceiveOutcome
  | { readonly outcome: 'rejected' | 'misconfigured' | 'unexpected'; readonly error: string };

/**
 * The one place where what happened becomes an HTTP status. 2xx only when nothing more is to be done
 * for the event (Stripe stops retrying); 4xx when the request itself is bad; 409 with `Retry-After`
 * while another delivery holds the event; 5xx when Stripe should deliver it again.
 */
export function resultOf(outcome: DeliveryOutcome): WebhookResult {
  switch (outcome.outcome) {
    case 'processed':
    case 'ignored':
    case 'duplicate':
      return { status: 200, outcome: outcome.outcome, eventId: outcome.eventId, type: outcome.type };
    case 'queued':
      return { status: 200, outcome: 'queued', eventId: outcome.eventId, type: outcome.type };
    case 'in_progress':
      return {
        status: IN_PROGRESS_STATUS,
        outcome: 'duplicate',
        eventId: outcome.eventId,
        type: outcome.type,
        retryAfter: outcome.retryAfter,
      };
    case 'failed':
      return { status: 500, outcome: 'failed', eventId: outcome.eventId, type: outcome.type, error: outcome.error.message };
    case 'rejected':
      return { status: 400, outcome: 'rejected', error: outcome.error };
    case 'misconfigured':
    case 'unexpected':
      return { status: 500, outcome: 'failed', error: outcome.error };
  }
}

/** The status for a duplicate that arrives while another delivery of the event is running. */
export const IN_PROGRESS_STATUS = 409;

/** The largest request body the webhook endpoints read: 1 MiB (Stripe's events are far smaller). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** The answer for a body over `limit` bytes. */
export function bodyTooLarge(limit: number): WebhookResult {
  return { status: 413, outcome: 'rejected', error: `the request body is larger than ${limit} bytes` };
}

/** The response to write: status, headers and a small JSON body. A failure's details stay out of it. */
export function webhookHttpAnswer(result: WebhookResult): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (result.retryAfter !== undefined) headers['retry-after'] = String(result.retryAfter);
  const payload: Record<string, unknown> = { outcome: result.outcome };
  if (result.eventId !== undefined) payload.eventId = result.eventId;
  if (result.type !== undefined) payload.type = result.type;
  if (result.outcome === 'rejected' && result.error !== undefined) payload.error = result.error;
  if (result.outcome === 'failed') payload.error = 'processing failed; the event will be processed again on its next delivery';
  if (result.status === IN_PROGRESS_STATUS) payload.error = 'another delivery of this event is being processed; retry later';
  return { status: result.status, headers, body: JSON.stringify(payload) };
}

/** `webhookHttpAnswer` as a web-standard Response. */
export function toResponse(result: WebhookResult): Response {
  const answer = webhookHttpAnswer(result);
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}

/** Joins byte chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reads a Request's body as bytes, or returns null when it exceeds `limit` bytes (reading stops there). */
export async function readRequestBody(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}
