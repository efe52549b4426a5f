import type Stripe from 'stripe';
import type { Context } from '../context.js';
import { MarketplaceError, isMarketplaceError, storageError } from '../errors.js';
import { getVendor, vendorByAccount } from '../services/vendors.js';
import type { EventClaim, EventSource, InboxEventInput, MarketplaceStorage } from '../storage/types.js';
import { accountIdOf } from './projectors/account.js';
import { projectorFor } from './projectors/index.js';
import type { EventRecords } from './projectors/types.js';
import type { WebhookContext, WebhookRegistry } from './registry.js';
import { storageAsGiven, withTimeLimit } from '../util/time-limit.js';

/** The webhook settings `receiveEvent` needs. */
export interface ReceiveSettings {
  /** The mode this deployment handles; events of the other mode are ignored. Undefined: accept both. */
  readonly livemode: boolean | undefined;
  readonly eventLeaseMs: number;
  /** Project, run the handlers and settle the event in one `storage.transaction`. */
  readonly transactions: boolean;
  /** For the inbox worker: how many attempts before an event is marked `failed`. */
  readonly maxAttempts: number;
}

/** Everything `receiveEvent` runs with. */
export interface Pipeline {
  readonly ctx: Context;
  readonly settings: ReceiveSettings;
  readonly registry: WebhookRegistry;
}

/**
 * What happened to an event:
 * - `processed`: projected, and every handler succeeded;
 * - `duplicate`: it was processed before;
 * - `in_progress`: another delivery or worker holds it now (`retryAfter` seconds until its lease ends);
 * - `ignored`: of the other mode than `livemode`;
 * - `queued`: stored for the inbox worker (inbox mode);
 * - `failed`: a handler, Stripe or storage failed; the event is kept with the error, to be taken again.
 */
export type ReceiveOutcome =
  | { readonly outcome: 'processed' | 'duplicate' | 'ignored' | 'queued'; readonly eventId: string; readonly type: string }
  | { readonly outcome: 'in_progress'; readonly eventId: string; readonly type: string; readonly retryAfter: number }
  | { readonly outcome: 'failed'; readonly eventId: string; readonly type: string; readonly error: MarketplaceError };

export interface ReceiveOptions {
  /** Where the event came from. Default `delivery`. */
  readonly source?: EventSource;
  /** Store the event for the inbox worker instead of processing it now (inbox mode). */
  readonly enqueue?: boolean;
  /** @internal The event's JSON text as Stripe sent it (a verified delivery's raw body), stored as the inbox payload. */
  readonly payload?: string;
  /** @internal A claim the worker already holds; `claimedAt` is on the store's clock. */
  readonly claimed?: { readonly token: string; readonly attempts: number; readonly claimedAt: number };
}

/** A claim held on an event; a worker's carries when it was claimed, on the store's clock. */
interface Held {
  readonly token: string;
  readonly attempts: number;
  readonly claimedAt?: number;
}

/** Thrown inside the transaction when settling finds the claim taken over: it rolls everything back. */
class LeaseLost extends Error {}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The inbox row of a verified event. */
export function inboxInput(event: Stripe.Event, source: EventSource, payload?: string): InboxEventInput {
  const object = event.data.object as { id?: unknown };
  return {
    id: event.id,
    type: event.type,
    account: event.account ?? null,
    objectId: typeof object.id === 'string' ? object.id : null,
    livemode: event.livemode,
    created: event.created,
    payload: payload ?? JSON.stringify(event),
    source,
  };
}

/** Tells the `onError` handlers and the logger; never throws. */
async function report(pipeline: Pipeline, error: MarketplaceError, event: Stripe.Event): Promise<void> {
  const { ctx, registry } = pipeline;
  safeLog(ctx, 'error', 'webhook processing failed', {
    eventId: event.id,
    type: event.type,
    code: error.code,
    error: error.message,
  });
  for (const handler of registry.errorHandlersNow()) {
    try {
      await withTimeLimit(ctx.timeouts.handlerMs, 'an onError handler', () => handler(error, event));
    } catch (thrown) {
      safeLog(ctx, 'error', 'an onError handler threw', { eventId: event.id, error: describe(thrown) });
    }
  }
}

/** Logs without ever throwing: a broken logger must not break webhook processing. */
export function safeLog(
  ctx: Context,
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  meta?: Record<string, unknown>,
) {
  try {
    const answer: unknown = ctx.logger[level]?.(message, meta);
    // An async logger is not awaited (one that never settles cannot hold the call up); its rejection is dropped.
    if (typeof (answer as PromiseLike<unknown> | undefined)?.then === 'function') {
      (answer as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A logger that throws is ignored.
  }
}

/**
 * Projects the event, then runs the user's handlers for its type and the `onAny` handlers, one after
 * another, all through `ctx.storage` (the transaction's storage when there is one).
 */
async function project(ctx: Context, registry: WebhookRegistry, event: Stripe.Event, prepared: unknown): Promise<EventRecords> {
  const records: EventRecords = await projectorFor(event.type).apply(ctx, event, prepared);
  const handlers = registry.handlersFor(event.type);
  if (handlers.length === 0) return records;
  if (!records.vendor) {
    // Only handlers see the vendor: it is read only when there are handlers.
    const accountId = accountIdOf(event);
    const vendor = accountId
      ? (await vendorByAccount(ctx, accountId))?.data
      : records.order
        ? await getVendor(ctx, records.order.vendorId)
        : records.subscription
          ? await getVendor(ctx, records.subscription.vendorId)
          : null;
    if (vendor) records.vendor = vendor;
  }
  const context: WebhookContext = Object.freeze({
    stripe: ctx.stripe,
    storage: storageAsGiven(ctx.storage),
    ...(event.account ? { account: event.account } : {}),
    ...(records.vendor ? { vendor: records.vendor } : {}),
    ...(records.order ? { order: records.order } : {}),
    ...(records.dispute ? { dispute: records.dispute } : {}),
    ...(records.payout ? { payout: records.payout } : {}),
    ...(records.refund ? { refund: records.refund } : {}),
    ...(records.subscription ? { subscription: records.subscription } : {}),
    ...(records.invoice ? { invoice: records.invoice } : {}),
  });
  for (const handler of handlers) {
    try {
      await withTimeLimit(ctx.timeouts.handlerMs, `a handler for ${event.type}`, () => handler(event as never, context));
    } catch (error) {
      if (isMarketplaceError(error, 'TIMEOUT')) throw error;
      throw new MarketplaceError('WEBHOOK_HANDLER_FAILED', `a handler for ${event.type} threw: ${describe(error)}`, {
        cause: error,
        details: { eventId: event.id, type: event.type },
      });
    }
  }
  return records;
}

/**
 * Runs the projector's `after` step (Stripe calls that follow from the stored records, such as a paid cart's
 * transfers) once the event is settled, outside any transaction. Never throws: what it did not finish stays
 * due in storage and is retried by `settleTransfers`.
 */
async function runAfter(ctx: Context, event: Stripe.Event, records: EventRecords | null): Promise<void> {
  const after = projectorFor(event.type).after;
  if (!after || !records) return;
  try {
    await after(ctx, event, records);
  } catch (error) {
    safeLog(ctx, 'error', 'the work that follows a processed event failed; settleTransfers retries it', {
      eventId: event.id,
      type: event.type,
      error: describe(error),
    });
  }
}

/** Runs `fn` in `storage.transaction` (the Marketplace checked that it exists before it set `transactions`). */
function inTransaction<T>(storage: MarketplaceStorage, fn: (tx: MarketplaceStorage) => Promise<T>): Promise<T> {
  const transaction = storage.transaction as NonNullable<MarketplaceStorage['transaction']>;
  return transaction.call(storage, fn) as Promise<T>;
}

/** Seconds until a lease ends (leases are on the store's clock: kept within 1 s and the lease length). */
function retryAfterSeconds(leaseExpiresAt: number, now: number, leaseMs: number): number {
  return Math.min(Math.ceil(leaseMs / 1000), Math.max(1, Math.ceil((leaseExpiresAt - now) / 1000)));
}

/** The backoff before the worker's next attempt: 2^attempts seconds, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.min(attempts, 12));
}

/**
 * Claims, projects, runs the handlers and settles one verified event, exactly once together with every
 * other delivery, replay, backfill and worker. Never throws.
 *
 * - Exactly once: the event is claimed in the inbox (atomically, with a lease) before anything runs, and
 *   marked processed only after every handler succeeded. A failure keeps the event with its error
 *   (`failed`, or `pending` with a backoff for the worker); it is taken again by its next delivery, a
 *   replay or the worker.
 * - With `webhookTransactions`, the claim, the projection, the handlers' writes and the completion commit
 *   together: a failure leaves no trace but the recorded error, and a concurrent delivery of the same event
 *   waits for the commit and then answers `duplicate`. Stripe is only ever called before the transaction.
 */
export async function receiveEvent(
  pipeline: Pipeline,
  event: Stripe.Event,
  options: ReceiveOptions = {},
): Promise<ReceiveOutcome> {
  const { ctx, settings, registry } = pipeline;
  const ids = { eventId: event.id, type: event.type };
  const source = options.source ?? 'delivery';
  if (settings.livemode !== undefined && event.livemode !== settings.livemode) {
    safeLog(ctx, 'info', 'webhook ignored: its livemode differs from this deployment', { ...ids, livemode: event.livemode });
    return { outcome: 'ignored', ...ids };
  }
  const storage = ctx.storage;
  const input = options.claimed ? null : inboxInput(event, source, options.payload);

  if (options.enqueue && input) {
    try {
      const claim = await storage.claimEvent(input, { leaseMs: settings.eventLeaseMs, lease: false });
      if (claim.status === 'processed') return { outcome: 'duplicate', ...ids };
      return { outcome: 'queued', ...ids };
    } catch (error) {
      return fail(pipeline, event, storageError('store the webhook event', error), null);
    }
  }

  let claim: Held | null = options.claimed ?? null;
  try {
    if (settings.transactions && input) {
      // Prepare (reads and Stripe calls) outside; claim, project, handlers and completion in one transaction.
      const prepared = await projectorFor(event.type).prepare(ctx, event);
      let records: EventRecords | null = null;
      const answer = await inTransaction(storage, async (tx): Promise<ReceiveOutcome | null> => {
        const taken = await tx.claimEvent(input, { leaseMs: settings.eventLeaseMs });
        if (taken.status !== 'claimed') return early(taken, ids, ctx.now(), settings.eventLeaseMs);
        records = await project({ ...ctx, storage: tx }, registry, event, prepared);
        if (!(await tx.settleEvent(event.id, taken.token, { status: 'processed' }))) throw new LeaseLost();
        return null;
      });
      if (answer) return answer;
      await runAfter(ctx, event, records);
      return { outcome: 'processed', ...ids };
    }

    if (!claim && input) {
      const taken = await claimOrReport(storage, input, settings.eventLeaseMs);
      if (taken.status !== 'claimed') return early(taken, ids, ctx.now(), settings.eventLeaseMs);
      claim = { token: taken.token, attempts: taken.attempts };
    }
    const held = claim as Held;
    const prepared = await projectorFor(event.type).prepare(ctx, event);
    let records: EventRecords | null = null;
    if (settings.transactions) {
      await inTransaction(storage, async (tx) => {
        records = await project({ ...ctx, storage: tx }, registry, event, prepared);
        if (!(await tx.settleEvent(event.id, held.token, { status: 'processed' }))) throw new LeaseLost();
      });
    } else {
      records = await project(ctx, registry, event, prepared);
      if (!(await storage.settleEvent(event.id, held.token, { status: 'processed' }))) {
        safeLog(
          ctx,
          'warn',
          'webhook lease expired before the handlers finished; another delivery took the event over (raise eventLeaseMs)',
          ids,
        );
      }
    }
    await runAfter(ctx, event, records);
    return { outcome: 'processed', ...ids };
  } catch (error) {
    if (error instanceof LeaseLost) {
      // Rolled back. The delivery that took the event over owns it now.
      safeLog(
        ctx,
        'warn',
        'webhook lease expired before the handlers finished; their writes were rolled back and another delivery owns the event (raise eventLeaseMs)',
        ids,
      );
      return { outcome: 'in_progress', ...ids, retryAfter: Math.ceil(settings.eventLeaseMs / 1000) };
    }
    const wrapped = isMarketplaceError(error) ? error : storageError('process the webhook event', error);
    return fail(pipeline, event, wrapped, claim, input);
  }
}

async function claimOrReport(storage: MarketplaceStorage, input: InboxEventInput, leaseMs: number): Promise<EventClaim> {
  try {
    return await storage.claimEvent(input, { leaseMs });
  } catch (error) {
    throw storageError('claim the webhook event', error);
  }
}

function early(claim: EventClaim, ids: { eventId: string; type: string }, now: number, leaseMs: number): ReceiveOutcome {
  if (claim.status === 'in_progress') {
    return { outcome: 'in_progress', ...ids, retryAfter: retryAfterSeconds(claim.leaseExpiresAt, now, leaseMs) };
  }
  return { outcome: claim.status === 'queued' ? 'queued' : 'duplicate', ...ids };
}

/**
 * Records the failure on the event (it is never deleted) and reports it. A worker's event goes back to
 * `pending` with a backoff until `maxAttempts`, then `failed`; a delivery's, replay's or backfill's event
 * is `failed` at once (Stripe delivers it again, and `replayFailed` takes it).
 */
async function fail(
  pipeline: Pipeline,
  event: Stripe.Event,
  error: MarketplaceError,
  claim: Held | null,
  input: InboxEventInput | null = null,
): Promise<ReceiveOutcome> {
  const { ctx, settings } = pipeline;
  const ids = { eventId: event.id, type: event.type };
  try {
    let held: Held | null = claim;
    if (!held && input) {
      // In a transaction the claim was rolled back with everything else: claim again to record the error.
      const taken = await ctx.storage.claimEvent(input, { leaseMs: settings.eventLeaseMs });
      if (taken.status === 'claimed') held = taken;
    }
    if (held) {
      // A worker's claim time is on the store's clock, like the retry time it sets.
      const claimedAt = input === null ? held.claimedAt : undefined;
      const settlement =
        claimedAt !== undefined && held.attempts < settings.maxAttempts
          ? { status: 'pending' as const, error: error.message, retryAt: claimedAt + backoffMs(held.attempts) }
          : { status: 'failed' as const, error: error.message };
      await ctx.storage.settleEvent(event.id, held.token, settlement);
    }
  } catch (settleError) {
    // The lease runs out on its own; the event is taken again then.
    safeLog(ctx, 'error', 'could not record the webhook failure', { ...ids, error: describe(settleError) });
  }
  await report(pipeline, error, event);
  return { outcome: 'failed', ...ids, error };
}
