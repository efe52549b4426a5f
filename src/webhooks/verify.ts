import type Stripe from 'stripe';

/** Which endpoint's secret verified the event. */
export type WebhookEndpoint = 'platform' | 'connect';

export interface VerifySettings {
  readonly platformSecrets: readonly string[];
  readonly connectSecrets: readonly string[];
  readonly toleranceSeconds: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly event: Stripe.Event; readonly endpoint: WebhookEndpoint }
  /** `misconfigured`: the server, not the request, is at fault (no secret is configured). */
  | { readonly ok: false; readonly message: string; readonly misconfigured?: true };

const RAW_BODY_HINT =
  'Give the webhook route the raw bytes: the stripe-marketplace/express handler, the stripe-marketplace/fastify plugin, ' +
  'or `await request.text()` in a fetch handler.';

/**
 * Checks that `body` holds raw request bytes, and returns them in a form `constructEventAsync` accepts,
 * or a message that says what went wrong. A parsed object is the common mistake: a JSON body parser ran
 * first, and a re-serialised body never matches Stripe's signature.
 */
export function rawPayload(body: unknown): string | Uint8Array | { message: string } {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    return body.length === 0 ? { message: 'the request body is empty' } : body;
  }
  if (body instanceof ArrayBuffer) return rawPayload(new Uint8Array(body));
  if (body === undefined || body === null) {
    return {
      message: `no request body was given (the request stream may have been read by another middleware). ${RAW_BODY_HINT}`,
    };
  }
  const what = typeof body === 'object' ? 'a parsed object' : `a ${typeof body}`;
  return {
    message:
      `body must be the raw request body (a string or Uint8Array), but it is ${what}: a JSON body parser ` +
      `(express.json(), Fastify's default parser, request.json()) ran before verification, and a re-serialised ` +
      `body never matches Stripe's signature. ${RAW_BODY_HINT}`,
  };
}

function signatureMessage(error: unknown, toleranceSeconds: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.startsWith('No signatures found matching')) {
    return (
      'no signature in the Stripe-Signature header matches the body under any configured secret: the body was ' +
      'changed on the way (parsed and re-serialised?), or the secret belongs to another endpoint'
    );
  }
  if (message.startsWith('Timestamp outside the tolerance zone')) {
    return `the Stripe-Signature timestamp is more than ${toleranceSeconds} s old (a replayed or long-delayed request)`;
  }
  if (message.startsWith('Unable to extract') || message.startsWith('No signatures found with expected scheme')) {
    return 'the Stripe-Signature header is malformed (expected t=<timestamp>,v1=<signature>)';
  }
  return `the signature could not be verified: ${message.split('\n')[0]}`;
}

/** The `t=` timestamp of a Stripe-Signature header, in seconds, or null when there is none. */
function signatureTimestamp(header: string): number | null {
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2);
    if (key?.trim() === 't' && value !== undefined && /^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return null;
}

function isSignatureError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'StripeSignatureVerificationError';
}

function isEvent(value: unknown): value is Stripe.Event {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { id?: unknown; type?: unknown; livemode?: unknown; data?: { object?: unknown } };
  return (
    typeof event.id === 'string' &&
    event.id.length > 0 &&
    typeof event.type === 'string' &&
    event.type.length > 0 &&
    typeof event.livemode === 'boolean' &&
    typeof event.data === 'object' &&
    event.data !== null &&
    typeof event.data.object === 'object' &&
    event.data.object !== null
  );
}

/**
 * Verifies a webhook request with `stripe.webhooks.constructEventAsync` (Web Crypto, so it runs on edge
 * runtimes too), trying the platform secrets, then the Connect secrets. Never throws.
 *
 * @param receivedAt when the request arrived, in milliseconds since the epoch (for the tolerance check)
 */
export async function verifyWebhook(
  stripe: Stripe,
  settings: VerifySettings,
  body: unknown,
  signature: unknown,
  receivedAt: number,
): Promise<VerifyResult> {
  const payload = rawPayload(body);
  if (typeof payload === 'object' && !(payload instanceof Uint8Array)) return { ok: false, message: payload.message };
  if (typeof signature !== 'string' || signature.trim() === '') {
    return {
      ok: false,
      message: Array.isArray(signature)
        ? 'the Stripe-Signature header must be a single string'
        : 'the Stripe-Signature header is missing',
    };
  }
  const candidates: { secret: string; endpoint: WebhookEndpoint }[] = [
    ...settings.platformSecrets.map((secret) => ({ secret, endpoint: 'platform' as const })),
    ...settings.connectSecrets.map((secret) => ({ secret, endpoint: 'connect' as const })),
  ];
  if (candidates.length === 0) {
    return {
      ok: false,
      misconfigured: true,
      message: 'no webhook signing secret is configured: pass webhookSecrets: { platform, connect } to new Marketplace()',
    };
  }
  const signedAt = signatureTimestamp(signature);
  if (signedAt !== null && signedAt * 1000 - receivedAt > settings.toleranceSeconds * 1000) {
    return {
      ok: false,
      message: `the Stripe-Signature timestamp is more than ${settings.toleranceSeconds} s in the future (a forged or pre-signed request, or a clock far off)`,
    };
  }
  let firstFailure: string | undefined;
  for (const { secret, endpoint } of candidates) {
    let event: unknown;
    try {
      event = await stripe.webhooks.constructEventAsync(
        payload,
        signature,
        secret,
        settings.toleranceSeconds,
        undefined,
        receivedAt,
      );
    } catch (error) {
      if (!isSignatureError(error)) {
        // The signature matched, but the payload is not JSON (or is a thin event notification).
        const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
        return { ok: false, message: `the signed payload is not a Stripe snapshot event: ${detail}` };
      }
      const message = signatureMessage(error, settings.toleranceSeconds);
      // The signature matched this secret but is too old: that is the most telling reason.
      if (message.includes('timestamp is more than')) return { ok: false, message };
      firstFailure ??= message;
      continue;
    }
    if (!isEvent(event)) {
      return { ok: false, message: 'the signed payload is not a Stripe event (it lacks id, type, livemode or data.object)' };
    }
    return { ok: true, event, endpoint };
  }
  return { ok: false, message: firstFailure ?? 'the signature could not be verified' };
}
