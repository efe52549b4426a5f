import { safeLog, receiveEvent, type Pipeline } from './receive.js';
import { verifyWebhook, type VerifySettings } from './verify.js';
import { MAX_WEBHOOK_BODY_BYTES, bodyTooLarge, resultOf, type WebhookResult } from '../http/outcome.js';

/** The raw request, as `handleWebhook` takes it. */
export interface WebhookInput {
  /** The raw request body, exactly as received: a string or bytes (a Node Buffer is a Uint8Array). */
  body: string | Uint8Array;
  /** The `Stripe-Signature` header. */
  signature: string | null | undefined;
}

export interface HandleSettings extends VerifySettings {
  /** `inbox`: store the verified event in one statement and answer 200; `events.work()` processes it. */
  readonly mode: 'process' | 'inbox';
}

/** True when `body` is longer than `limit` bytes (a string counts its UTF-8 bytes). */
function exceeds(body: unknown, limit: number): boolean {
  if (body instanceof Uint8Array) return body.byteLength > limit;
  if (typeof body !== 'string') return false;
  // A character is 1 to 3 UTF-8 bytes (a surrogate pair, 2 characters, is 4): encode only when in doubt.
  if (body.length > limit) return true;
  if (body.length * 3 <= limit) return false;
  return new TextEncoder().encode(body).byteLength > limit;
}

const decoder = new TextDecoder();

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One webhook delivery: verify the raw bytes, then receive the event (or store it, in inbox mode), and
 * turn what happened into the HTTP answer. Never throws.
 */
export async function handleWebhook(pipeline: Pipeline, settings: HandleSettings, input: unknown): Promise<WebhookResult> {
  const { ctx } = pipeline;
  try {
    if (typeof input !== 'object' || input === null) {
      return resultOf({ outcome: 'rejected', error: 'handleWebhook expects { body, signature }' });
    }
    const { body, signature } = input as { body?: unknown; signature?: unknown };
    if (exceeds(body, MAX_WEBHOOK_BODY_BYTES)) {
      safeLog(ctx, 'warn', `webhook rejected: the body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes`);
      return bodyTooLarge(MAX_WEBHOOK_BODY_BYTES);
    }
    const verified = await verifyWebhook(ctx.stripe, settings, body, signature, ctx.now());
    if (!verified.ok) {
      if (verified.misconfigured) {
        safeLog(ctx, 'error', `webhook not processed: ${verified.message}`);
        return resultOf({ outcome: 'misconfigured', error: verified.message });
      }
      safeLog(ctx, 'warn', `webhook rejected: ${verified.message}`);
      return resultOf({ outcome: 'rejected', error: verified.message });
    }
    // The inbox keeps the bytes Stripe signed rather than the event serialised again.
    const payload = typeof body === 'string' ? body : decoder.decode(body as Uint8Array);
    const outcome = await receiveEvent(pipeline, verified.event, {
      source: 'delivery',
      enqueue: settings.mode === 'inbox',
      payload,
    });
    const result = resultOf(outcome);
    safeLog(ctx, 'info', 'webhook handled', {
      eventId: result.eventId,
      type: result.type,
      status: result.status,
      outcome: result.outcome,
    });
    return result;
  } catch (unexpected) {
    safeLog(ctx, 'error', 'webhook processing failed unexpectedly', { error: describe(unexpected) });
    return resultOf({ outcome: 'unexpected', error: describe(unexpected) });
  }
}
