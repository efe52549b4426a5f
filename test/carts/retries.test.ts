import { describe, expect, it } from 'vitest';
import { ORDER, type OrderRecord } from '../../src/index.js';
import { loseNextAnswer } from '../world.js';
import { cartWorld } from './helpers.js';

// A cart's payment follows the same rule as a single vendor's: the exact request is stored with the order before
// Stripe is called, a retry sends it again under `checkout:<orderId>`, and a retry with other parameters is
// ORDER_CONFLICT rather than Stripe's idempotency error (Stripe compares a reused key's parameters with the first
// request's: https://docs.stripe.com/idempotency, https://docs.stripe.com/api/idempotent_requests).

const cart = {
  orderId: 'cart_r1',
  currency: 'gbp',
  items: [
    { vendorId: 'ann', amount: 1500, description: 'Teapot' },
    { vendorId: 'bob', amount: 999, description: 'Mug' },
  ],
  customerEmail: 'buyer@example.com',
  metadata: { basket: 'b1' },
};

const hostedCart = {
  ...cart,
  orderId: 'cart_r2',
  mode: 'hosted' as const,
  successUrl: 'https://market.example/paid',
  cancelUrl: 'https://market.example/cancelled',
};

async function storedOrder(market: { storage: { get<T>(kind: string, id: string): Promise<{ data: T } | null> } }, id: string) {
  return (await market.storage.get<OrderRecord>(ORDER.kind, id))?.data;
}

describe('a cart checkout retried after its answer from Stripe was lost', () => {
  it('stores the request first; the same call again gets the same PaymentIntent', async () => {
    const w = await cartWorld(['ann', 'bob']);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(cart)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    const stored = await storedOrder(w.market, 'cart_r1');
    expect(stored?.paymentIntentId).toBeNull();
    expect(stored?.stripeRequest).toMatchObject({
      method: 'paymentIntents.create',
      params: { amount: 2499, transfer_group: 'cart_r1', receipt_email: 'buyer@example.com' },
    });

    const retried = await w.market.createCheckout(cart);
    const intents = (await w.stripe.paymentIntents.list()).data;
    expect(intents).toHaveLength(1);
    expect(retried.mode === 'embedded' && retried.paymentIntentId).toBe(intents[0]?.id);
    expect(intents[0]).toMatchObject({ amount: 2499, transfer_group: 'cart_r1', receipt_email: 'buyer@example.com' });
  });

  it.each([
    ['another customerEmail', { customerEmail: 'other@example.com' }, /receipt_email/],
    ['other metadata', { metadata: { basket: 'b2' } }, /metadata/],
  ])('a retry with %s is ORDER_CONFLICT and creates nothing more', async (_name, change, named) => {
    const w = await cartWorld(['ann', 'bob']);
    loseNextAnswer(w.stripe.paymentIntents, 'create');
    await expect(w.market.createCheckout(cart)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    const error = await w.market.createCheckout({ ...cart, ...change }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ORDER_CONFLICT' });
    expect(String((error as Error).message)).toMatch(named);
    expect((await w.stripe.paymentIntents.list()).data).toHaveLength(1);
    await expect(w.market.createCheckout(cart)).resolves.toMatchObject({ amount: 2499 });
  });

  it('hosted: another success URL is ORDER_CONFLICT; the same call gets the same session', async () => {
    const w = await cartWorld(['ann', 'bob']);
    loseNextAnswer(w.stripe.checkout.sessions, 'create');
    await expect(w.market.createCheckout(hostedCart)).rejects.toMatchObject({ code: 'STRIPE_ERROR' });
    await expect(w.market.createCheckout({ ...hostedCart, successUrl: 'https://market.example/other' })).rejects.toMatchObject({
      code: 'ORDER_CONFLICT',
      message: expect.stringContaining('success_url'),
    });
    const first = await w.market.createCheckout(hostedCart);
    const again = await w.market.createCheckout(hostedCart);
    expect(first.mode === 'hosted' && again.mode === 'hosted' && first.sessionId === again.sessionId).toBe(true);
    expect((await w.stripe.checkout.sessions.list()).data).toHaveLength(1);
  });
});
