import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';
import { type Context, callStripe } from '../context.js';
import { decideSubscription } from '../core/projectors/subscription.js';
import type { InvoiceRecord, SubscriptionRecord } from '../core/records.js';
import {
  getStoredSubscription,
  getSubscription,
  listInvoices,
  listSubscriptions,
  mutateSubscription,
} from '../services/subscriptions.js';
import { lazy, parseWith } from '../util/validate.js';
import { idSchema } from '../util/schemas.js';

export interface CancelSubscriptionInput {
  subscriptionId: string;
  /** End at the end of the current period (the customer keeps what they paid for) instead of now. Default false. */
  atPeriodEnd?: boolean;
}

export interface PauseSubscriptionInput {
  subscriptionId: string;
  /**
   * What happens to the invoices of paused periods (Stripe's `pause_collection.behavior`): `void` (default: no
   * invoice is charged), `mark_uncollectible`, or `keep_as_draft` (charged on resume only if you finalize them).
   */
  behavior?: 'void' | 'mark_uncollectible' | 'keep_as_draft';
  /** Unix seconds at which collection resumes by itself. */
  resumesAt?: number;
}

const cancelSchema = lazy(() => z.strictObject({ subscriptionId: idSchema(), atPeriodEnd: z.optional(z.boolean()) }));
const pauseSchema = lazy(() =>
  z.strictObject({
    subscriptionId: idSchema(),
    behavior: z.optional(z.enum(['void', 'mark_uncollectible', 'keep_as_draft'])),
    resumesAt: z.optional(z.number().check(z.int(), z.positive())),
  }),
);
const resumeSchema = lazy(() => z.strictObject({ subscriptionId: idSchema() }));

/** The stored subscription with its Stripe id, or SUBSCRIPTION_NOT_FOUND. */
async function requireStarted(ctx: Context, subscriptionId: string, method: string) {
  const stored = await getStoredSubscription(ctx, subscriptionId);
  if (!stored) {
    throw new MarketplaceError('SUBSCRIPTION_NOT_FOUND', `${method}: no subscription "${subscriptionId}"`, {
      details: { subscriptionId },
    });
  }
  const stripeId = stored.data.stripeSubscriptionId;
  if (!stripeId) {
    throw new MarketplaceError(
      'SUBSCRIPTION_NOT_FOUND',
      `${method}: subscription "${subscriptionId}" has no Stripe subscription yet (a hosted one is created when the customer pays)`,
      { details: { subscriptionId } },
    );
  }
  return { stored, stripeId };
}

/** Stores what Stripe answered, the way the `customer.subscription.*` projector would. */
async function store(ctx: Context, subscriptionId: string, subscription: Stripe.Subscription): Promise<SubscriptionRecord> {
  const now = ctx.now();
  const result = await mutateSubscription(ctx, subscriptionId, (current) => decideSubscription(current, subscription, now));
  return result.record as SubscriptionRecord;
}

const ENDED = ['canceled', 'incomplete_expired'];

/**
 * Cancels now (`subscriptions.cancel`, idempotent per subscription id), or at the period's end
 * (`cancel_at_period_end`, withdrawn by `resumeSubscription`). An ended subscription is returned as it is.
 */
export async function cancelSubscription(ctx: Context, input: CancelSubscriptionInput): Promise<SubscriptionRecord> {
  const data = parseWith(cancelSchema(), input, 'cancelSubscription');
  const { stored, stripeId } = await requireStarted(ctx, data.subscriptionId, 'cancelSubscription');
  if (ENDED.includes(stored.data.status)) return stored.data;
  const subscription = data.atPeriodEnd
    ? await callStripe('subscriptions.update', () => ctx.stripe.subscriptions.update(stripeId, { cancel_at_period_end: true }))
    : await callStripe('subscriptions.cancel', () =>
        ctx.stripe.subscriptions.cancel(stripeId, {}, { idempotencyKey: `subscription:${data.subscriptionId}:cancel` }),
      );
  return store(ctx, data.subscriptionId, subscription);
}

/** Pauses collection (`pause_collection`): the subscription stays, its invoices are not charged. */
export async function pauseSubscription(ctx: Context, input: PauseSubscriptionInput): Promise<SubscriptionRecord> {
  const data = parseWith(pauseSchema(), input, 'pauseSubscription');
  if (data.resumesAt !== undefined && data.resumesAt * 1000 <= ctx.now()) {
    throw new MarketplaceError('INVALID_INPUT', 'pauseSubscription: resumesAt must be in the future (Unix seconds)', {
      details: { param: 'resumesAt' },
    });
  }
  const { stripeId } = await requireStarted(ctx, data.subscriptionId, 'pauseSubscription');
  const pause: Stripe.SubscriptionUpdateParams.PauseCollection = { behavior: data.behavior ?? 'void' };
  if (data.resumesAt !== undefined) pause.resumes_at = data.resumesAt;
  const subscription = await callStripe('subscriptions.update', () =>
    ctx.stripe.subscriptions.update(stripeId, { pause_collection: pause }),
  );
  return store(ctx, data.subscriptionId, subscription);
}

/** Resumes collection and withdraws a cancellation set for the period's end. */
export async function resumeSubscription(ctx: Context, input: { subscriptionId: string }): Promise<SubscriptionRecord> {
  const data = parseWith(resumeSchema(), input, 'resumeSubscription');
  const { stored, stripeId } = await requireStarted(ctx, data.subscriptionId, 'resumeSubscription');
  if (ENDED.includes(stored.data.status)) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `resumeSubscription: subscription "${data.subscriptionId}" has ended (${stored.data.status}); create a new one`,
      { details: { subscriptionId: data.subscriptionId, status: stored.data.status } },
    );
  }
  const subscription = await callStripe('subscriptions.update', () =>
    ctx.stripe.subscriptions.update(stripeId, { pause_collection: '', cancel_at_period_end: false }),
  );
  return store(ctx, data.subscriptionId, subscription);
}

export interface ListSubscriptionsOptions {
  vendorId?: string;
  /** At most this many, newest first. Default 100. */
  limit?: number;
}

const limitSchema = () => z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1000)));
const listSubscriptionsSchema = lazy(() => z.strictObject({ vendorId: z.optional(idSchema()), limit: limitSchema() }));
const listInvoicesSchema = lazy(() => z.strictObject({ limit: limitSchema() }));

/** The stored subscription, or null. */
export function getSubscriptionRecord(ctx: Context, subscriptionId: string): Promise<SubscriptionRecord | null> {
  return getSubscription(ctx, parseWith(idSchema(), subscriptionId, 'getSubscription(subscriptionId)'));
}

/** Stored subscriptions, newest first, optionally of one vendor. */
export async function listSubscriptionRecords(ctx: Context, options: ListSubscriptionsOptions): Promise<SubscriptionRecord[]> {
  return listSubscriptions(ctx, parseWith(listSubscriptionsSchema(), options, 'listSubscriptions'));
}

/** The stored invoices of a subscription, newest first. */
export async function listInvoiceRecords(
  ctx: Context,
  subscriptionId: string,
  options: { limit?: number },
): Promise<InvoiceRecord[]> {
  const id = parseWith(idSchema(), subscriptionId, 'listInvoices(subscriptionId)');
  return listInvoices(ctx, id, parseWith(listInvoicesSchema(), options, 'listInvoices').limit);
}
