import type Stripe from 'stripe';
import { type Context, callStripe } from '../context.js';
import { MarketplaceError } from '../errors.js';
import { changedPaths } from '../util/changed-paths.js';
import type { OrderRecord, StripeCreateRequest } from '../core/records.js';
import { getOrder, insertOrder, mutateOrder } from './orders.js';

/**
 * The one payment of an order, shared by single-vendor checkouts and carts: the request is stored with the order
 * before Stripe is called, every attempt sends that stored request under the order's key, and the PaymentIntent
 * or Checkout Session Stripe made is recorded on the order once.
 */

/** How a flow turns the payment Stripe made into what it returns. */
export interface PaymentResults<E, H> {
  embedded(order: OrderRecord, intent: Stripe.PaymentIntent): E;
  hosted(order: OrderRecord, session: Stripe.Checkout.Session): H;
}

/** The idempotency key for the payment of one order: one order id is one payment, a cart's or a single vendor's. */
export function checkoutIdempotencyKey(orderId: string): string {
  return `checkout:${orderId}`;
}

/** The request that creates a payment: a PaymentIntent (embedded) or a Checkout Session (hosted). */
export function paymentRequest(
  params: Stripe.PaymentIntentCreateParams | Stripe.Checkout.SessionCreateParams,
  mode: 'embedded' | 'hosted',
): StripeCreateRequest {
  return {
    method: mode === 'hosted' ? 'checkout.sessions.create' : 'paymentIntents.create',
    params: params as unknown as Record<string, unknown>,
  };
}

/** What a repeated call would send: checked against the stored order once its terms agree. */
export interface RepeatedCall {
  readonly metadata: Readonly<Record<string, string>>;
  /** The order's description as the call gives it (null when the call has none). */
  readonly description: string | null;
  /** The Stripe request the call would build from the stored order and its own fields. */
  readonly request: () => StripeCreateRequest;
}

/**
 * Throws `ORDER_CONFLICT` when a repeated call is not the stored order's: `differences` in its terms (vendor, amount,
 * items, mode), or, once those agree, anything else the first call sent to Stripe, so that a retry sends the very
 * same request under the same key. Orders stored by earlier versions (no stored request) compare their terms only.
 */
export function assertSamePayment(order: OrderRecord, differences: string[], call: RepeatedCall): void {
  if (differences.length === 0 && order.stripeRequest) {
    if (changedPaths(order.metadata, call.metadata).length > 0) differences.push('metadata');
    if (order.description !== call.description) differences.push('description');
    const params = changedPaths(order.stripeRequest.params, call.request().params);
    if (params.length > 0) differences.push(`${order.stripeRequest.method} parameters ${params.join(', ')}`);
  }
  if (differences.length > 0) {
    throw new MarketplaceError(
      'ORDER_CONFLICT',
      `order "${order.orderId}" already exists with different terms (${differences.join(', ')}); use a new orderId for a new payment`,
      { details: { orderId: order.orderId, differences } },
    );
  }
}

/** How one checkout flow (a single vendor's, or a cart's) makes its order and its payment. */
export interface PaymentFlow<E, H> {
  /** Throws `ORDER_CONFLICT` when the stored order is not this call's. */
  assertSame(order: OrderRecord): void;
  /** Makes the new order (vendors checked, items priced); nothing is stored yet. */
  newOrder(): Promise<OrderRecord>;
  /** The Stripe request that creates the order's payment, from the order's terms and the call's own fields. */
  request(order: OrderRecord): StripeCreateRequest;
  readonly results: PaymentResults<E, H>;
}

/**
 * One payment per order id. A stored order is checked against the call and its payment returned when Stripe made
 * it; otherwise the order is made, and stored with its exact Stripe request before Stripe is called, so a concurrent
 * call with other terms is caught and every retry sends the stored request under the same key.
 */
export async function payOnce<E, H>(ctx: Context, orderId: string, flow: PaymentFlow<E, H>): Promise<E | H> {
  let order = await getOrder(ctx, orderId);
  if (order) {
    flow.assertSame(order);
    const replay = await resumePayment(ctx, order, flow.results);
    if (replay) return replay;
  } else {
    const record = await flow.newOrder();
    const inserted = await insertOrder(ctx, { ...record, stripeRequest: flow.request(record) });
    order = inserted.order;
    if (!inserted.created) flow.assertSame(order);
  }
  return sendPayment(ctx, order, order.stripeRequest ?? flow.request(order), flow.results);
}

/** Returns the payment already created for a stored order, or null when none was recorded yet. */
async function resumePayment<E, H>(ctx: Context, order: OrderRecord, results: PaymentResults<E, H>): Promise<E | H | null> {
  if (order.mode === 'embedded' && order.paymentIntentId) {
    const id = order.paymentIntentId;
    const intent = await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id));
    return results.embedded(order, intent);
  }
  if (order.mode === 'hosted' && order.checkoutSessionId) {
    const id = order.checkoutSessionId;
    const session = await callStripe('checkout.sessions.retrieve', () => ctx.stripe.checkout.sessions.retrieve(id));
    return results.hosted(order, session);
  }
  return null;
}

/**
 * Sends `request` (the stored one; orders stored by earlier versions have none, and the flow builds it from the
 * call) under the order's key, records what Stripe made, and returns the flow's result.
 */
async function sendPayment<E, H>(
  ctx: Context,
  order: OrderRecord,
  request: StripeCreateRequest,
  results: PaymentResults<E, H>,
): Promise<E | H> {
  const options = { idempotencyKey: checkoutIdempotencyKey(order.orderId) };
  if (request.method === 'checkout.sessions.create') {
    const params = request.params as unknown as Stripe.Checkout.SessionCreateParams;
    const session = await callStripe('checkout.sessions.create', () => ctx.stripe.checkout.sessions.create(params, options));
    const updated = await recordPayment(ctx, order.orderId, 'checkoutSessionId', session.id);
    return results.hosted(updated ?? order, session);
  }
  const params = request.params as unknown as Stripe.PaymentIntentCreateParams;
  const intent = await callStripe('paymentIntents.create', () => ctx.stripe.paymentIntents.create(params, options));
  const updated = await recordPayment(ctx, order.orderId, 'paymentIntentId', intent.id);
  return results.embedded(updated ?? order, intent);
}

/** Records the order's PaymentIntent or Checkout Session once (a retry finds it recorded). */
async function recordPayment(
  ctx: Context,
  orderId: string,
  field: 'paymentIntentId' | 'checkoutSessionId',
  id: string,
): Promise<OrderRecord | null> {
  const now = ctx.now();
  const result = await mutateOrder(ctx, orderId, (order) =>
    order[field] === id ? null : { ...order, [field]: id, updatedAt: now },
  );
  return result.record;
}
