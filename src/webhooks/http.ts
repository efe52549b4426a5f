/**
 * The HTTP side of webhook handling, shared by `handleWebhookRequest` and the Express and Fastify entry
 * points, so that every runtime answers Stripe the same way. Web-standard APIs only.
 */

/**
 * What happened to a delivery:
 * - `processed`: verified, and every handler succeeded (200).
 * - `duplicate`: already processed (200), or being processed by another delivery right now (409, retry later).
 * - `ignored`: verified, but of the other mode than `livemode` (200).
 * - `rejected`: the request is bad: signature missing, wrong or expired, a parsed or empty body (400), or too large (413).
 * - `failed`: a handler, Stripe or storage failed (500); the event is not marked processed, so Stripe delivers it again.
 */
export type WebhookOutcome = 'processed' | 'duplicate' | 'ignored' | 'rejected' | 'failed';

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
