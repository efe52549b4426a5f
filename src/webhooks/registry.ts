import type Stripe from 'stripe';
import { MarketplaceError } from '../errors.js';
import type { DisputeRecord, OrderRecord, PayoutRecord, RefundRecord, VendorRecord } from '../core/records.js';
import type { MarketplaceStorage } from '../storage/types.js';

/** Every event type the installed `stripe` package knows (`'payment_intent.succeeded'`, ...). */
export type WebhookEventType = Stripe.Event['type'];

/** The event narrowed to `T`: `WebhookEvent<'payment_intent.succeeded'>['data']['object']` is a `Stripe.PaymentIntent`. */
export type WebhookEvent<T extends WebhookEventType = WebhookEventType> = Extract<Stripe.Event, { type: T }>;

/**
 * The storage a handler receives for storage `S`: what `S.transaction` hands its callback (for
 * `postgresStorage`, a `PostgresStorage` with `query`), or `S` itself when it has no transactions.
 */
export type WebhookStorage<S extends MarketplaceStorage = MarketplaceStorage> = S extends {
  transaction?<R>(fn: (tx: infer Tx) => Promise<R>): Promise<R>;
}
  ? Tx extends MarketplaceStorage
    ? Tx
    : S
  : S;

/**
 * What a handler gets besides the event. `vendor` and `order` are the stored records the event is about,
 * as they stand after the built-in handlers ran; they are absent when the event is about an object the
 * library did not create. `S` is the Marketplace's storage type.
 */
export interface WebhookContext<S extends MarketplaceStorage = MarketplaceStorage> {
  /** Your Stripe client. */
  readonly stripe: Stripe;
  /**
   * The storage to make this event's writes through. With `webhookTransactions: true` it is bound to the
   * transaction that also marks the event processed: what you write through it commits together with the
   * built-in handler's writes and the completion, or not at all. Inside a handler, use only this storage
   * then (never the Marketplace's own, and never a second connection for the same rows). Without the
   * option it is the Marketplace's storage, and writes commit one by one.
   */
  readonly storage: WebhookStorage<S>;
  /** The connected account the event came from (`event.account`); absent for platform events. */
  readonly account?: string;
  /** The vendor the event is about: by `event.account`, the account object, or the order's vendor. */
  readonly vendor?: VendorRecord;
  /** The order the event is about: by PaymentIntent or Checkout Session id. */
  readonly order?: OrderRecord;
  /** For `charge.dispute.*`: the dispute record as stored after the event (status, money moves). */
  readonly dispute?: DisputeRecord;
  /** For `payout.*`: the payout record as stored after the event. */
  readonly payout?: PayoutRecord;
  /** The refund record a `refund.*` event is about, as it stands after the built-in handler ran. */
  readonly refund?: RefundRecord;
}

/** A handler for events of type `T`. Its return value is ignored; throwing makes the delivery fail with 500. */
export type WebhookHandler<T extends WebhookEventType = WebhookEventType, S extends MarketplaceStorage = MarketplaceStorage> = (
  event: WebhookEvent<T>,
  context: WebhookContext<S>,
) => unknown;

/**
 * Called when processing a verified event fails (a handler threw, or storage or Stripe failed). `error` is
 * a MarketplaceError (`WEBHOOK_HANDLER_FAILED`, `STORAGE_ERROR` or `STRIPE_ERROR`) with the original as
 * `cause`. The delivery is answered with 500 either way; errors thrown here are logged and dropped.
 */
export type WebhookErrorHandler = (error: MarketplaceError, event: Stripe.Event) => unknown;

interface Entry<F> {
  readonly fn: F;
}

function assertFunction(value: unknown, method: string): void {
  if (typeof value !== 'function') {
    throw new MarketplaceError('INVALID_INPUT', `${method}: handler must be a function`);
  }
}

function add<F>(list: Entry<F>[], fn: F): () => void {
  const entry: Entry<F> = { fn };
  list.push(entry);
  return () => {
    const index = list.indexOf(entry);
    if (index !== -1) list.splice(index, 1);
  };
}

/** Handlers by event type, in registration order. */
export class WebhookRegistry {
  private readonly byType = new Map<string, Entry<WebhookHandler>[]>();
  private readonly any: Entry<WebhookHandler>[] = [];
  private readonly errorHandlers: Entry<WebhookErrorHandler>[] = [];

  on<T extends WebhookEventType>(type: T | readonly T[], handler: WebhookHandler<T>): () => void {
    const types: readonly unknown[] = Array.isArray(type) ? type : [type];
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && t.length > 0 && t !== '*')) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        'on(type, handler): type must be an event type such as "payment_intent.succeeded" (or an array of them); use onAny for every event',
      );
    }
    assertFunction(handler, 'on(type, handler)');
    const removers = (types as string[]).map((t) => {
      let list = this.byType.get(t);
      if (!list) {
        list = [];
        this.byType.set(t, list);
      }
      return add(list, handler as unknown as WebhookHandler);
    });
    return () => {
      for (const remove of removers) remove();
    };
  }

  onAny(handler: WebhookHandler): () => void {
    assertFunction(handler, 'onAny(handler)');
    return add(this.any, handler);
  }

  onError(handler: WebhookErrorHandler): () => void {
    assertFunction(handler, 'onError(handler)');
    return add(this.errorHandlers, handler);
  }

  /** The handlers for `type`, then the `onAny` handlers, as they are registered now. */
  handlersFor(type: string): WebhookHandler[] {
    return [...(this.byType.get(type) ?? []), ...this.any].map((entry) => entry.fn);
  }

  errorHandlersNow(): WebhookErrorHandler[] {
    return this.errorHandlers.map((entry) => entry.fn);
  }
}
