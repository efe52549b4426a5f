import type Stripe from 'stripe';
import type { Context } from '../context.js';
import type { EventClaim } from '../storage/types.js';
import { MarketplaceError, isMarketplaceError, storageError } from '../errors.js';
import { findRecords, runBuiltinHandler, type EventRecords } from './builtin-handlers.js';
import { IN_PROGRESS_STATUS, type WebhookResult } from './http.js';
import type { WebhookContext, WebhookRegistry } from './registry.js';
import { verifyWebhook, type VerifySettings } from './verify.js';

/** The raw request, as `handleWebhook` takes it. */
export interface WebhookInput {
  /** The raw request body, exactly as received: a string or bytes (a Node Buffer is a Uint8Array). */
  body: string | Uint8Array;
  /** The `Stripe-Signature` header. */
  signature: string | null | undefined;
}

export interface WebhookSettings extends VerifySettings {
  /** The mode this deployment handles; undefined only when no secret is set (then nothing verifies). */
  readonly livemode: boolean | undefined;
  readonly eventLeaseMs: number;
  /**
   * Run the handlers and `completeEvent` in one `storage.transaction`, with the handlers' `ctx.storage` bound
   * to it. The Marketplace checks that the storage has `transaction` before it sets this.
   */
  readonly transactions: boolean;
}

/** Thrown inside the transaction when `completeEvent` finds the claim taken over: it rolls everything back. */
class LeaseLost extends Error {}

function rejected(error: string): WebhookResult {
  return { status: 400, outcome: 'rejected', error };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Tells the `onError` handlers and the logger; never throws. */
async function report(ctx: Context, registry: WebhookRegistry, error: MarketplaceError, event: Stripe.Event): Promise<void> {
  ctx.logger.error?.('webhook processing failed', {
    eventId: event.id,
    type: event.type,
    code: error.code,
    error: error.message,
  });
  for (const handler of registry.errorHandlersNow()) {
    try {
      await handler(error, event);
    } catch (thrown) {
      ctx.logger.error?.('an onError handler threw', { eventId: event.id, error: describe(thrown) });
    }
  }
}

/**
 * Runs the built-in handler, then the user's handlers for the type, then the `onAny` handlers, one after
 * another. Every storage call (the built-in handler's and, through `context.storage`, the user's) goes to
 * `ctx.storage`, which is the transaction's storage when the event is processed in one.
 */
async function dispatch(ctx: Context, registry: WebhookRegistry, event: Stripe.Event): Promise<void> {
  const records: EventRecords = await findRecords(ctx, event);
  await runBuiltinHandler(ctx, event, records);
  const context: WebhookContext = Object.freeze({
    stripe: ctx.stripe,
    storage: ctx.storage,
    ...(event.account ? { account: event.account } : {}),
    ...(records.vendor ? { vendor: records.vendor } : {}),
    ...(records.order ? { order: records.order } : {}),
  });
  for (const handler of registry.handlersFor(event.type)) {
    try {
      await handler(event as never, context);
    } catch (error) {
      throw new MarketplaceError('WEBHOOK_HANDLER_FAILED', `a handler for ${event.type} threw: ${describe(error)}`, {
        cause: error,
        details: { eventId: event.id, type: event.type },
      });
    }
  }
}

/**
 * Verifies, deduplicates and dispatches one delivery, and decides its HTTP status. Never throws.
 *
 * Exactly once: the event id is claimed in storage (atomically, with a lease) before any handler runs, and
 * marked processed only after every handler succeeded. On failure the claim is released, so the next
 * delivery runs the handlers again. A delivery that finds the event claimed and its lease unexpired runs
 * nothing and gets 409; Stripe retries it later.
 *
 * With `settings.transactions`, the handlers run and the event is completed in one storage transaction.
 * A failure rolls their writes back before the claim is released (outside the transaction); a lease lost
 * to another delivery rolls them back too, releases nothing and answers 409.
 */
export async function processWebhook(
  ctx: Context,
  settings: WebhookSettings,
  registry: WebhookRegistry,
  input: unknown,
): Promise<WebhookResult> {
  const result = await processDelivery(ctx, settings, registry, input);
  const { eventId, type, status, outcome } = result;
  ctx.logger.info?.('webhook handled', { eventId, type, status, outcome });
  return result;
}

async function processDelivery(
  ctx: Context,
  settings: WebhookSettings,
  registry: WebhookRegistry,
  input: unknown,
): Promise<WebhookResult> {
  let event: Stripe.Event | undefined;
  try {
    if (typeof input !== 'object' || input === null) {
      return rejected('handleWebhook expects { body, signature }');
    }
    const { body, signature } = input as { body?: unknown; signature?: unknown };
    const verified = await verifyWebhook(ctx.stripe, settings, body, signature, ctx.now());
    if (!verified.ok) {
      if (verified.misconfigured) {
        ctx.logger.error?.(`webhook not processed: ${verified.message}`);
        return { status: 500, outcome: 'failed', error: verified.message };
      }
      ctx.logger.warn?.(`webhook rejected: ${verified.message}`);
      return rejected(verified.message);
    }
    event = verified.event;
    const ids = { eventId: event.id, type: event.type };
    if (event.livemode !== settings.livemode) {
      ctx.logger.info?.('webhook ignored: its livemode differs from this deployment', { ...ids, livemode: event.livemode });
      return { status: 200, outcome: 'ignored', ...ids };
    }

    const eventId = event.id;
    const now = ctx.now();
    let claim: EventClaim;
    try {
      claim = await ctx.storage.claimEvent(eventId, { leaseMs: settings.eventLeaseMs, now, type: event.type });
    } catch (error) {
      const wrapped = storageError('claim the webhook event', error);
      await report(ctx, registry, wrapped, event);
      return { status: 500, outcome: 'failed', ...ids, error: wrapped.message };
    }
    if (claim.status === 'processed') return { status: 200, outcome: 'duplicate', ...ids };
    if (claim.status === 'in_progress') {
      const retryAfter = Math.max(1, Math.ceil((claim.leaseExpiresAt - now) / 1000));
      return { status: IN_PROGRESS_STATUS, outcome: 'duplicate', ...ids, retryAfter };
    }

    const token = claim.token;
    const claimed: Stripe.Event = event;
    try {
      if (settings.transactions) {
        const transaction = ctx.storage.transaction as NonNullable<typeof ctx.storage.transaction>;
        // The claim stays outside (committed), so other deliveries see the event held; everything the
        // handlers write and the completion commit together, or none of it does.
        await transaction.call(ctx.storage, async (tx) => {
          await dispatch({ ...ctx, storage: tx }, registry, claimed);
          if (!(await tx.completeEvent(eventId, token, ctx.now()))) throw new LeaseLost();
        });
      } else {
        await dispatch(ctx, registry, claimed);
        const completed = await ctx.storage.completeEvent(eventId, token, ctx.now());
        if (!completed) {
          ctx.logger.warn?.(
            'webhook lease expired before the handlers finished; another delivery took the event over (raise eventLeaseMs)',
            ids,
          );
        }
      }
      return { status: 200, outcome: 'processed', ...ids };
    } catch (error) {
      if (error instanceof LeaseLost) {
        // Rolled back. The delivery that took the event over owns it now; releasing would drop its claim.
        // Stripe retries a 409 later, and then gets 200 duplicate, or runs the event if that delivery failed.
        ctx.logger.warn?.(
          'webhook lease expired before the handlers finished; their writes were rolled back and another delivery owns the event (raise eventLeaseMs)',
          ids,
        );
        const retryAfter = Math.max(1, Math.ceil(settings.eventLeaseMs / 1000));
        return { status: IN_PROGRESS_STATUS, outcome: 'duplicate', ...ids, retryAfter };
      }
      const wrapped = isMarketplaceError(error) ? error : storageError('complete the webhook event', error);
      try {
        await ctx.storage.releaseEvent(eventId, token);
      } catch (releaseError) {
        // The lease runs out on its own; until then deliveries get 409.
        ctx.logger.error?.('could not release the webhook event', { ...ids, error: describe(releaseError) });
      }
      await report(ctx, registry, wrapped, event);
      return { status: 500, outcome: 'failed', ...ids, error: wrapped.message };
    }
  } catch (unexpected) {
    ctx.logger.error?.('webhook processing failed unexpectedly', { error: describe(unexpected) });
    return {
      status: 500,
      outcome: 'failed',
      ...(event ? { eventId: event.id, type: event.type } : {}),
      error: describe(unexpected),
    };
  }
}
