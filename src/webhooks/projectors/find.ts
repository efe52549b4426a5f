import type Stripe from 'stripe';
import { type Context, callStripe } from '../../context.js';
import type { OrderRecord } from '../../core/records.js';
import { getStored } from '../../services/records.js';
import { orderByStripeId } from '../../services/orders.js';
import { ORDER } from '../../core/records.js';
import type { StoredRecord } from '../../storage/types.js';
import { idOf } from './types.js';

/** The order an event is about, and the PaymentIntent to record on it when it was found through its session. */
export interface FoundOrder {
  readonly stored: StoredRecord<OrderRecord> | null;
  /** Set when the order is a hosted order whose PaymentIntent is not recorded yet (see `hostedOrderOf`). */
  readonly paymentIntentId: string | null;
}

const NOT_FOUND: FoundOrder = { stored: null, paymentIntentId: null };

/**
 * Finds the stored order an event is about, through the reference index. Only ids the library stored are
 * used: metadata is never trusted, because a connected account can put anything in its own objects' metadata.
 */
export async function findOrder(ctx: Context, event: Stripe.Event): Promise<FoundOrder> {
  const object = event.data.object as { object?: unknown; id?: unknown; payment_intent?: unknown };
  let key: string | null = null;
  if ((object.object === 'payment_intent' || object.object === 'checkout.session') && typeof object.id === 'string') {
    key = object.id;
  } else if (object.object === 'charge' || object.object === 'dispute' || object.object === 'refund') {
    key = idOf(object.payment_intent as string | { id: string } | null | undefined);
  }
  const stored = key ? await orderByStripeId(ctx, key) : null;
  if (stored) return { stored, paymentIntentId: null };
  if (event.account !== undefined) return NOT_FOUND;
  return hostedOrderOf(ctx, event);
}

/**
 * A hosted order learns its PaymentIntent from `checkout.session.*` events. When a refund, dispute or
 * PaymentIntent event overtakes them (the session event failed and waits for its retry), the order is
 * found through the `order_id` the library put in the PaymentIntent's metadata. Metadata is only a hint:
 * the order must be hosted and still without a PaymentIntent, and its Checkout Session, read from Stripe,
 * must name this PaymentIntent. Only then is the PaymentIntent recorded and the event applied.
 */
async function hostedOrderOf(ctx: Context, event: Stripe.Event): Promise<FoundOrder> {
  const object = event.data.object as {
    object?: unknown;
    id?: unknown;
    payment_intent?: unknown;
    metadata?: Record<string, string> | null;
  };
  let paymentIntentId: string | null = null;
  let metadata: Record<string, string> | null | undefined;
  if (object.object === 'payment_intent' && typeof object.id === 'string') {
    paymentIntentId = object.id;
    metadata = object.metadata;
  } else if (object.object === 'charge' || object.object === 'refund') {
    paymentIntentId = idOf(object.payment_intent as string | { id: string } | null | undefined);
    metadata = object.metadata;
  } else if (object.object === 'dispute') {
    // A dispute carries no copy of the PaymentIntent's metadata.
    paymentIntentId = idOf(object.payment_intent as string | { id: string } | null | undefined);
    const id = paymentIntentId;
    if (id) metadata = (await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id))).metadata;
  }
  const orderId = metadata?.order_id;
  if (!paymentIntentId || !orderId) return NOT_FOUND;
  const stored = await getStored(ctx.storage, ORDER, orderId);
  const order = stored?.data;
  if (order?.mode !== 'hosted' || order.paymentIntentId !== null || !order.checkoutSessionId) return NOT_FOUND;
  const sessionId = order.checkoutSessionId;
  const session = await callStripe('checkout.sessions.retrieve', () => ctx.stripe.checkout.sessions.retrieve(sessionId));
  if (idOf(session.payment_intent) !== paymentIntentId) return NOT_FOUND;
  return { stored, paymentIntentId };
}

/** The order with `paymentIntentId` recorded, when it had none (a hosted order found through its session). */
export function withPaymentIntentId(order: OrderRecord, paymentIntentId: string | null, now: number): OrderRecord {
  if (!paymentIntentId || order.paymentIntentId !== null) return order;
  return { ...order, paymentIntentId, updatedAt: now };
}
