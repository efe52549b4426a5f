import type Stripe from 'stripe';
import { type Context, callStorage, callStripe } from '../context.js';
import { refreshVendor } from '../onboarding/onboarding.js';
import { statusesBefore } from '../orders/transitions.js';
import type { DisputeStatus, OrderPatch, OrderRecord, OrderStatus, VendorRecord, VendorState } from '../storage/types.js';

/** The stored records an event is about. Built-in handlers replace them with what they wrote. */
export interface EventRecords {
  vendor: VendorRecord | undefined;
  order: OrderRecord | undefined;
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value.id === 'string' ? value.id : null;
}

/**
 * Finds the stored vendor and order an event is about. Only ids the library stored are used: metadata
 * is never trusted, because a connected account can put anything in its own objects' metadata.
 */
export async function findRecords(ctx: Context, event: Stripe.Event): Promise<EventRecords> {
  const object = event.data.object as { object?: unknown; id?: unknown; payment_intent?: unknown };
  let order: OrderRecord | null = null;
  if (object.object === 'payment_intent' && typeof object.id === 'string') {
    const id = object.id;
    order = await callStorage('read the order', () => ctx.storage.getOrderByPaymentIntent(id));
  } else if (object.object === 'checkout.session' && typeof object.id === 'string') {
    const id = object.id;
    order = await callStorage('read the order', () => ctx.storage.getOrderByCheckoutSession(id));
  } else if (object.object === 'charge' || object.object === 'dispute' || object.object === 'refund') {
    const id = idOf(object.payment_intent as string | { id: string } | null | undefined);
    if (id) order = await callStorage('read the order', () => ctx.storage.getOrderByPaymentIntent(id));
  }
  if (!order && event.account === undefined) order = await hostedOrderOf(ctx, event);

  const accountId = event.account ?? (object.object === 'account' && typeof object.id === 'string' ? object.id : undefined);
  let vendor: VendorRecord | null = null;
  if (accountId) vendor = await callStorage('read the vendor', () => ctx.storage.getVendorByAccount(accountId));
  if (!vendor && order) {
    const vendorId = order.vendorId;
    vendor = await callStorage('read the vendor', () => ctx.storage.getVendor(vendorId));
  }
  return { vendor: vendor ?? undefined, order: order ?? undefined };
}

/**
 * A hosted order learns its PaymentIntent from `checkout.session.*` events. When a refund, dispute or
 * PaymentIntent event overtakes them (the session event failed and waits for its retry), the order is
 * found through the `order_id` the library put in the PaymentIntent's metadata. Metadata is only a hint:
 * the order must be hosted and still without a PaymentIntent, and its Checkout Session, read from Stripe,
 * must name this PaymentIntent. Only then is the PaymentIntent recorded and the event applied.
 */
async function hostedOrderOf(ctx: Context, event: Stripe.Event): Promise<OrderRecord | null> {
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
  if (!paymentIntentId || !orderId) return null;
  const order = await callStorage('read the order', () => ctx.storage.getOrder(orderId));
  if (order?.mode !== 'hosted' || order.paymentIntentId !== null || !order.checkoutSessionId) return null;
  const sessionId = order.checkoutSessionId;
  const session = await callStripe('checkout.sessions.retrieve', () => ctx.stripe.checkout.sessions.retrieve(sessionId));
  if (idOf(session.payment_intent) !== paymentIntentId) return null;
  const piId = paymentIntentId;
  const result = await callStorage('record the PaymentIntent', () =>
    ctx.storage.updateOrder(order.orderId, { patch: { paymentIntentId: piId }, now: ctx.now() }),
  );
  return result.order;
}

/**
 * Moves the order to `to` with `patch`, only from the statuses in `from` (by default those that may precede
 * `to`), in one atomic storage write: a late event cannot undo newer state.
 */
async function moveOrder(
  ctx: Context,
  records: EventRecords,
  to: OrderStatus,
  patch: OrderPatch = {},
  from: readonly OrderStatus[] = statusesBefore(to),
): Promise<boolean> {
  const order = records.order;
  if (!order) return false;
  const result = await callStorage('update the order', () =>
    ctx.storage.updateOrder(order.orderId, { status: to, from, patch, now: ctx.now() }),
  );
  if (!result.applied) {
    ctx.logger.debug?.('order not moved: its status is already past the event', {
      orderId: order.orderId,
      status: result.order?.status,
      to,
    });
  }
  if (result.order) records.order = result.order;
  return result.applied;
}

/**
 * `processing` and `failed` can follow each other both ways (a failed card, then a bank debit; a bank
 * debit that fails later), so the event alone cannot tell a new state from a late one. The order moves
 * directly from every other status; between these two, the PaymentIntent is re-read and the order moves
 * only when Stripe confirms the new state.
 */
async function movePaymentIntentState(
  ctx: Context,
  records: EventRecords,
  intent: Stripe.PaymentIntent,
  to: 'processing' | 'failed',
): Promise<void> {
  const other = to === 'failed' ? 'processing' : 'failed';
  // `failed` -> `failed` records the latest decline when the customer retries and fails again.
  const direct = [...statusesBefore(to), ...(to === 'failed' ? ['failed' as const] : [])].filter((s) => s !== other);
  const patch = (pi: Stripe.PaymentIntent): OrderPatch => (to === 'failed' ? { lastPaymentError: paymentError(pi) } : {});
  if (await moveOrder(ctx, records, to, patch(intent), direct)) return;
  if (records.order?.status !== other) return;
  const id = intent.id;
  const current = await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id));
  const confirmed = to === 'failed' ? current.status === 'requires_payment_method' : current.status === 'processing';
  if (!confirmed) {
    ctx.logger.debug?.(`payment_intent event ignored: the PaymentIntent is ${current.status} now`, { paymentIntentId: id, to });
    return;
  }
  await moveOrder(ctx, records, to, patch(current), [other]);
}

/** Records the PaymentIntent of a Checkout Session on the order, once; it never changes afterwards. */
async function recordPaymentIntent(ctx: Context, records: EventRecords, session: Stripe.Checkout.Session): Promise<void> {
  const order = records.order;
  const paymentIntentId = idOf(session.payment_intent);
  if (!order || !paymentIntentId || order.paymentIntentId === paymentIntentId) return;
  const result = await callStorage('record the PaymentIntent', () =>
    ctx.storage.updateOrder(order.orderId, { patch: { paymentIntentId }, now: ctx.now() }),
  );
  if (result.order) records.order = result.order;
}

async function accountUpdated(ctx: Context, records: EventRecords): Promise<void> {
  const vendor = records.vendor;
  if (!vendor) return;
  if (vendor.status === 'disconnected') {
    // The platform lost access; a late account.updated must not bring the vendor back.
    ctx.logger.debug?.('account.updated ignored for a disconnected vendor', { vendorId: vendor.vendorId });
    return;
  }
  // The payload may be older than what is stored: re-read the account and store what Stripe says now.
  records.vendor = await refreshVendor(ctx, vendor);
}

async function accountDeauthorized(ctx: Context, records: EventRecords): Promise<void> {
  const vendor = records.vendor;
  if (!vendor || vendor.status === 'disconnected') return;
  // Only the status changes: the rest is the last state Stripe reported, kept for support.
  const state: VendorState = {
    status: 'disconnected',
    chargesEnabled: vendor.chargesEnabled,
    payoutsEnabled: vendor.payoutsEnabled,
    detailsSubmitted: vendor.detailsSubmitted,
    transfersCapability: vendor.transfersCapability,
    requirements: vendor.requirements,
  };
  const updated = await callStorage('update the vendor', () => ctx.storage.updateVendor(vendor.vendorId, state, ctx.now()));
  if (updated) records.vendor = updated;
}

function paymentError(intent: Stripe.PaymentIntent): OrderPatch['lastPaymentError'] {
  const error = intent.last_payment_error;
  if (!error) return null;
  return { code: error.code ?? null, declineCode: error.decline_code ?? null, message: error.message ?? null };
}

/** How far a dispute has gone: a dispute's stored status only moves to a later stage. */
const DISPUTE_STAGE: Readonly<Record<DisputeStatus, number>> = {
  warning_needs_response: 0,
  needs_response: 0,
  warning_under_review: 1,
  under_review: 1,
  warning_closed: 2,
  won: 2,
  lost: 2,
  prevented: 2,
};

async function disputeChanged(ctx: Context, records: EventRecords, dispute: Stripe.Dispute): Promise<void> {
  const order = records.order;
  if (!order) return;
  const status = dispute.status as DisputeStatus;
  if (!(status in DISPUTE_STAGE)) return;
  const stored = order.dispute;
  // A late `created` after `closed` must not reopen the dispute. (Two events of one dispute processed at
  // the same instant can still race; the next event of the dispute corrects the record.)
  if (stored && stored.id === dispute.id && DISPUTE_STAGE[stored.status] > DISPUTE_STAGE[status]) return;
  const result = await callStorage('record the dispute', () =>
    ctx.storage.updateOrder(order.orderId, {
      patch: { dispute: { id: dispute.id, status, amount: dispute.amount } },
      now: ctx.now(),
    }),
  );
  if (result.order) records.order = result.order;
}

async function chargeRefunded(ctx: Context, records: EventRecords, charge: Stripe.Charge): Promise<void> {
  const order = records.order;
  if (!order || charge.amount_refunded <= 0) return;
  const fully = charge.refunded || charge.amount_refunded >= order.amount;
  await moveOrder(ctx, records, fully ? 'refunded' : 'partially_refunded', {
    amountRefunded: charge.amount_refunded,
    chargeId: charge.id,
  });
  // A refund that arrives when the order can no longer move (for example already refunded) still never
  // lowers the recorded amount: storage keeps the larger value.
}

/**
 * Keeps storage true to Stripe. Each handler writes only forward (order statuses, refunded amounts,
 * dispute stages) or re-reads the object from Stripe (accounts), so a late or repeated event cannot
 * overwrite newer state. Events about objects the library did not create change nothing.
 */
export async function runBuiltinHandler(ctx: Context, event: Stripe.Event, records: EventRecords): Promise<void> {
  switch (event.type) {
    case 'account.updated':
      return accountUpdated(ctx, records);
    case 'account.application.deauthorized':
      return accountDeauthorized(ctx, records);
    case 'payment_intent.succeeded': {
      const chargeId = idOf(event.data.object.latest_charge);
      await moveOrder(ctx, records, 'succeeded', chargeId ? { chargeId } : {});
      return;
    }
    case 'payment_intent.processing':
      return movePaymentIntentState(ctx, records, event.data.object, 'processing');
    case 'payment_intent.payment_failed':
      return movePaymentIntentState(ctx, records, event.data.object, 'failed');
    case 'payment_intent.canceled':
      await moveOrder(ctx, records, 'canceled');
      return;
    case 'checkout.session.completed':
      await recordPaymentIntent(ctx, records, event.data.object);
      // Delayed payment methods complete the session unpaid; async_payment_succeeded follows.
      if (event.data.object.payment_status === 'paid') await moveOrder(ctx, records, 'succeeded');
      return;
    case 'checkout.session.async_payment_succeeded':
      await recordPaymentIntent(ctx, records, event.data.object);
      await moveOrder(ctx, records, 'succeeded');
      return;
    case 'checkout.session.async_payment_failed':
      await recordPaymentIntent(ctx, records, event.data.object);
      await moveOrder(ctx, records, 'failed');
      return;
    case 'checkout.session.expired':
      await recordPaymentIntent(ctx, records, event.data.object);
      await moveOrder(ctx, records, 'expired');
      return;
    case 'charge.refunded':
      return chargeRefunded(ctx, records, event.data.object);
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
      return disputeChanged(ctx, records, event.data.object);
    default:
      return;
  }
}
