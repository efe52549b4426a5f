import Stripe from 'stripe';

const signer = new Stripe('sk_test_signer');

/** The raw body of a `payment_intent.succeeded` event, as Stripe sends it. */
export function paymentSucceededPayload(eventId: string, paymentIntentId: string): string {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: { id: paymentIntentId, object: 'payment_intent', status: 'succeeded', latest_charge: `ch_${paymentIntentId}` },
    },
  });
}

/** One delivery: the body and a fresh `Stripe-Signature` header for it. */
export function signed(payload: string, secret: string): { body: string; signature: string } {
  return { body: payload, signature: signer.webhooks.generateTestHeaderString({ payload, secret }) };
}
