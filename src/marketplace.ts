import type Stripe from 'stripe';
import { MarketplaceError } from './errors.js';
import type { Context } from './context.js';
import type { CommissionPolicy } from './core/money/commission.js';
import { type DisputePolicy, platformBearsDisputes } from './core/money/dispute.js';
import * as disputes from './flows/disputes.js';
import * as payouts from './flows/payouts.js';
import { proportionalRefund, type RefundPolicy } from './core/money/refund.js';
import { getRefundRecord, listRefundRecords, refundOrder, type RefundInput } from './flows/refund.js';
import type { DisputeRecord, OrderRecord, PayoutRecord, RefundRecord, TransferRecord, VendorRecord } from './core/records.js';
import type { MarketplaceStorage } from './storage/types.js';
import { getVendor, listVendors } from './services/vendors.js';
import { getOrder, listOrders } from './services/orders.js';
import { callStorage } from './services/records.js';
import { settleTransfers, transfersOfOrder, type TransferSummary } from './services/transfers.js';
import { KeyedLock } from './util/keyed-lock.js';
import { DEFAULT_TIME_LIMITS, timeLimitedStorage, type TimeLimits } from './util/time-limit.js';
import {
  completeOnboarding,
  oauthAuthorizeUrl,
  onboardVendor,
  vendorDashboardLink,
  type CompleteAccountLinkInput,
  type CompleteOAuthInput,
  type OAuthAuthorizeUrlInput,
  type OAuthAuthorizeUrlResult,
  type OnboardVendorInput,
  type OnboardVendorResult,
} from './flows/onboarding.js';
import {
  createCheckout,
  type CheckoutInput,
  type CheckoutResult,
  type EmbeddedCheckoutInput,
  type EmbeddedCheckoutResult,
  type HostedCheckoutInput,
  type HostedCheckoutResult,
} from './flows/checkout.js';
import * as subscriptions from './flows/subscriptions.js';
import * as lifecycle from './flows/subscription-lifecycle.js';
import type { InvoiceRecord, SubscriptionRecord } from './core/records.js';
import * as tools from './flows/vendor-tools.js';
import {
  createCartCheckout,
  isCartInput,
  type CartCheckoutInput,
  type CartCheckoutResult,
  type EmbeddedCartCheckoutInput,
  type EmbeddedCartCheckoutResult,
  type HostedCartCheckoutInput,
  type HostedCartCheckoutResult,
} from './flows/cart.js';
import { parseWith } from './util/validate.js';
import { idSchema } from './util/schemas.js';
import {
  listOrdersSchema,
  listVendorsSchema,
  optionsSchema,
  settleTransfersSchema,
  type ListOrdersOptions,
  type ListVendorsOptions,
  type MarketplaceEvents,
  type MarketplaceOptions,
  type ResolvedWebhookSettings,
  type WebhookSecret,
} from './marketplace-options.js';
export { MAX_LIST_LIMIT } from './marketplace-options.js';
export type {
  ListOrdersOptions,
  ListVendorsOptions,
  MarketplaceEvents,
  MarketplaceOptions,
  ResolvedWebhookSettings,
  WebhookSecret,
} from './marketplace-options.js';
import { WebhookRegistry, type WebhookErrorHandler, type WebhookEventType, type WebhookHandler } from './webhooks/registry.js';
import { handleWebhook, type WebhookInput } from './webhooks/handle.js';
import { verifyWebhook, type VerifyResult } from './webhooks/verify.js';
import { type Pipeline, type ReceiveOutcome, receiveEvent } from './webhooks/receive.js';
import { backfill, replayFailed, work, type BackfillOptions, type InboxProgress, type WorkOptions } from './webhooks/inbox.js';
import { MAX_WEBHOOK_BODY_BYTES, bodyTooLarge, readRequestBody, toResponse, type WebhookResult } from './http/outcome.js';
import type { EventSource, InboxStatus } from './storage/types.js';

const DEFAULT_EVENT_LEASE_MS = 60_000;
const DEFAULT_OAUTH_STATE_TTL_MS = 10 * 60_000;

const DEFAULT_PRUNE_AGE_MS = 30 * 24 * 3_600_000;

function toList(secret: WebhookSecret | undefined): readonly string[] {
  if (secret === undefined) return [];
  return typeof secret === 'string' ? [secret] : [...secret];
}

/**
 * The marketplace: onboarding, checkout with commission, and webhooks, over the user's Stripe client
 * and an injected storage. Construct one per process and share it.
 */
export class Marketplace<S extends MarketplaceStorage = MarketplaceStorage> {
  /** @internal */
  protected readonly ctx: Context;
  /** @internal */
  protected readonly webhookSettings: ResolvedWebhookSettings;
  readonly #webhooks = new WebhookRegistry();
  readonly #pipeline: Pipeline;
  /** The storage as given (`ctx.storage` is the same storage behind the time limits). */
  readonly #storage: S;
  /** The inbox: replay failed events, backfill missed ones, drain it with workers, prune it. */
  readonly events: MarketplaceEvents;

  constructor(options: MarketplaceOptions<S>) {
    const data = parseWith(optionsSchema(), options, 'new Marketplace(options)', 'INVALID_OPTIONS');
    const platformSecrets = toList(data.webhookSecrets?.platform);
    const connectSecrets = toList(data.webhookSecrets?.connect);
    if (platformSecrets.length + connectSecrets.length > 0 && data.livemode === undefined) {
      throw new MarketplaceError(
        'INVALID_OPTIONS',
        'new Marketplace(options): set livemode (true for live keys, false for test keys) when webhookSecrets is given, so that events of the other mode are ignored rather than processed',
      );
    }
    const transactions = data.webhookTransactions === true;
    if (transactions && typeof data.storage.transaction !== 'function') {
      throw new MarketplaceError(
        'INVALID_OPTIONS',
        'new Marketplace(options): webhookTransactions needs a storage with transactions (storage.transaction), such as postgresStorage; this storage has none',
        { details: { param: 'webhookTransactions' } },
      );
    }
    const timeouts: TimeLimits = Object.freeze({ ...DEFAULT_TIME_LIMITS, ...data.timeouts });
    this.#storage = options.storage;
    this.ctx = {
      stripe: data.stripe,
      storage: timeLimitedStorage(data.storage, timeouts.storageMs),
      commission: data.commission as CommissionPolicy,
      disputePolicy: (data.disputePolicy as DisputePolicy | undefined) ?? platformBearsDisputes(),
      refundPolicy: (data.refundPolicy as RefundPolicy | undefined) ?? proportionalRefund(),
      logger: data.logger ?? {},
      oauthClientId: data.oauth?.clientId,
      oauthStateTtlMs: data.oauth?.stateTtlMs ?? DEFAULT_OAUTH_STATE_TTL_MS,
      now: data.now ?? Date.now,
      accountLocks: new KeyedLock(),
      timeouts,
    };
    this.webhookSettings = {
      platformSecrets,
      connectSecrets,
      livemode: data.livemode,
      eventLeaseMs: data.eventLeaseMs ?? DEFAULT_EVENT_LEASE_MS,
      toleranceSeconds: data.webhookToleranceSeconds ?? 300,
      transactions,
      mode: data.webhookMode ?? 'process',
      maxAttempts: data.maxEventAttempts ?? 8,
    };
    const pipeline: Pipeline = { ctx: this.ctx, settings: this.webhookSettings, registry: this.#webhooks };
    this.#pipeline = pipeline;
    const ctx = this.ctx;
    this.events = Object.freeze({
      replayFailed: (options?: { limit?: number; onProgress?: InboxProgress }) => replayFailed(pipeline, options),
      backfill: (options: BackfillOptions) => backfill(pipeline, options),
      work: (options?: WorkOptions) => work(pipeline, options),
      async prune(options: { olderThan?: number } = {}) {
        const olderThan = options.olderThan ?? DEFAULT_PRUNE_AGE_MS;
        if (!Number.isSafeInteger(olderThan) || olderThan < 0) {
          throw new MarketplaceError('INVALID_INPUT', 'events.prune: olderThan must be a number of milliseconds', {
            details: { param: 'olderThan' },
          });
        }
        const now = ctx.now();
        return callStorage('prune the inbox', () => ctx.storage.prune({ processedBefore: now - olderThan, expiredBefore: now }));
      },
      async list(options: { statuses?: readonly InboxStatus[]; limit?: number } = {}) {
        const limit = options.limit ?? 100;
        return callStorage('list inbox events', () => ctx.storage.listEvents({ statuses: options.statuses, limit }));
      },
    });
  }

  /** The Stripe client this marketplace uses. */
  get stripe(): Stripe {
    return this.ctx.stripe;
  }

  /** The storage this marketplace uses. */
  get storage(): S {
    return this.#storage;
  }

  /**
   * Creates the vendor's connected account on the first call (once, even under concurrent calls) and
   * returns a fresh Account Link. Call it again from your `refreshUrl` route for a new link.
   */
  onboardVendor(input: OnboardVendorInput): Promise<OnboardVendorResult> {
    return onboardVendor(this.ctx, input);
  }

  /**
   * Reads the vendor's state from Stripe and stores it. Pass `{ vendorId }` on your `returnUrl` route,
   * or the OAuth redirect's query (`{ code, state }`, or `{ error, error_description, state }`).
   */
  completeOnboarding(input: CompleteAccountLinkInput | CompleteOAuthInput): Promise<VendorRecord> {
    return completeOnboarding(this.ctx, input);
  }

  /** Legacy OAuth: an authorize URL whose single-use, expiring `state` is bound to the vendor. */
  oauthAuthorizeUrl(input: OAuthAuthorizeUrlInput): Promise<OAuthAuthorizeUrlResult> {
    return oauthAuthorizeUrl(this.ctx, input);
  }

  /** A single-use Express dashboard login link for the vendor. Make one per click; never store it. */
  vendorDashboardLink(vendorId: string): Promise<{ url: string }> {
    return vendorDashboardLink(this.ctx, vendorId);
  }

  /**
   * Creates (once per `orderId`) a destination charge for the vendor with the commission as application
   * fee: a PaymentIntent (`mode: 'embedded'`, the default) or a Checkout Session (`mode: 'hosted'`).
   */
  createCheckout(input: EmbeddedCheckoutInput): Promise<EmbeddedCheckoutResult>;
  createCheckout(input: HostedCheckoutInput): Promise<HostedCheckoutResult>;
  createCheckout(input: CheckoutInput): Promise<CheckoutResult>;
  /** A cart (`items` from several vendors): one payment with `transfer_group`, one transfer per vendor after it. */
  createCheckout(input: EmbeddedCartCheckoutInput): Promise<EmbeddedCartCheckoutResult>;
  createCheckout(input: HostedCartCheckoutInput): Promise<HostedCartCheckoutResult>;
  createCheckout(input: CartCheckoutInput): Promise<CartCheckoutResult>;
  createCheckout(input: CheckoutInput | CartCheckoutInput): Promise<CheckoutResult | CartCheckoutResult> {
    if (isCartInput(input)) return createCartCheckout(this.ctx, input);
    return createCheckout(this.ctx, input);
  }

  /** A billing portal session for a customer (`cus_...`): a short-lived URL; redirect to it at once, never store it. */
  customerPortalLink(input: tools.CustomerPortalLinkInput): Promise<tools.CustomerPortalLinkResult> {
    return tools.customerPortalLink(this.ctx, input);
  }

  /**
   * Registers a domain for Apple Pay, Google Pay and the other wallets on the platform, or with `vendorId` on
   * the vendor's connected account. Registering a domain again returns the existing registration.
   */
  registerPaymentDomain(domain: string, options: tools.RegisterPaymentDomainOptions = {}): Promise<tools.PaymentDomainResult> {
    return tools.registerPaymentDomain(this.ctx, domain, options);
  }

  /** An Account Session's client secret for Connect embedded components (`@stripe/connect-js`). Never store or log it. */
  vendorSession(input: tools.VendorSessionInput): Promise<tools.VendorSessionResult> {
    return tools.vendorSession(this.ctx, input);
  }

  /** The stored vendor, or null. */
  async getVendor(vendorId: string): Promise<VendorRecord | null> {
    const id = parseWith(idSchema(), vendorId, 'getVendor(vendorId)');
    return getVendor(this.ctx, id);
  }

  /** Stored vendors, newest first (default at most 100), optionally filtered by status. */
  async listVendors(options: ListVendorsOptions = {}): Promise<VendorRecord[]> {
    const data = parseWith(listVendorsSchema(), options, 'listVendors');
    return listVendors(this.ctx, data);
  }

  /** The stored order (status, amounts, fee snapshot), or null. */
  async getOrder(orderId: string): Promise<OrderRecord | null> {
    const id = parseWith(idSchema(), orderId, 'getOrder(orderId)');
    return getOrder(this.ctx, id);
  }

  /** Stored orders, newest first (default at most 100). */
  async listOrders(options: ListOrdersOptions = {}): Promise<OrderRecord[]> {
    const data = parseWith(listOrdersSchema(), options, 'listOrders');
    return listOrders(this.ctx, data);
  }

  /** Sends the cart transfers that are due and releases held ones whose vendor is ready (a cron job or worker). */
  async settleTransfers(options: { limit?: number } = {}): Promise<TransferSummary> {
    const data = parseWith(settleTransfersSchema(), options, 'settleTransfers');
    return settleTransfers(this.ctx, data);
  }

  /** The stored transfers of an order (a cart's, one per vendor), newest first. */
  async listTransfers(orderId: string): Promise<TransferRecord[]> {
    const id = parseWith(idSchema(), orderId, 'listTransfers(orderId)');
    return transfersOfOrder(this.ctx, id);
  }

  /** The stored dispute (status, amounts, the dispute policy's money moves and their state), or null. */
  getDispute(disputeId: string): Promise<DisputeRecord | null> {
    return disputes.getDispute(this.ctx, disputeId);
  }

  /** The order's stored disputes, newest first (default at most 100). */
  listDisputes(options: disputes.ListDisputesOptions): Promise<DisputeRecord[]> {
    return disputes.listDisputes(this.ctx, options);
  }

  /** The vendor's available and pending balance per currency, read from Stripe now (`balance.retrieve` on its account). */
  vendorBalance(vendorId: string): Promise<payouts.VendorBalance> {
    return payouts.vendorBalance(this.ctx, vendorId);
  }

  /** The vendor's payouts as stored from `payout.*` events, newest first (default at most 100). */
  listPayouts(options: payouts.ListPayoutsOptions): Promise<PayoutRecord[]> {
    return payouts.listPayouts(this.ctx, options);
  }

  // ---- refunds -----------------------------------------------------------------------------------

  /**
   * Refunds an order (once per `refundId`): reserves the amount on the order, refunds the charge, then moves what the
   * refund policy decided (transfer reversal, application fee refund). The same call again is the same refund.
   */
  refund(input: RefundInput): Promise<RefundRecord> {
    return refundOrder(this.ctx, input);
  }

  /** The order's refund records (the library's and those made in the Dashboard), newest first. */
  listRefunds(orderId: string): Promise<RefundRecord[]> {
    return listRefundRecords(this.ctx, orderId);
  }

  /** One refund record by the platform's refund id (or Stripe's `re_` id for a refund made elsewhere), or null. */
  getRefund(orderId: string, refundId: string): Promise<RefundRecord | null> {
    return getRefundRecord(this.ctx, orderId, refundId);
  }

  // ---- subscriptions -----------------------------------------------------------------------------

  /**
   * Creates (once per `subscriptionId`) a destination subscription for the vendor, confirmed with Stripe.js (`embedded`)
   * or through Checkout (`hosted`), with the commission on each invoice (see the README).
   */
  createSubscription(input: subscriptions.EmbeddedSubscriptionInput): Promise<subscriptions.EmbeddedSubscriptionResult>;
  createSubscription(input: subscriptions.HostedSubscriptionInput): Promise<subscriptions.HostedSubscriptionResult>;
  createSubscription(input: subscriptions.CreateSubscriptionInput): Promise<subscriptions.CreateSubscriptionResult>;
  createSubscription(input: subscriptions.CreateSubscriptionInput): Promise<subscriptions.CreateSubscriptionResult> {
    return subscriptions.createSubscription(this.ctx, input);
  }

  /** Cancels a subscription now, or at the end of its current period (`atPeriodEnd: true`). */
  cancelSubscription(input: lifecycle.CancelSubscriptionInput): Promise<SubscriptionRecord> {
    return lifecycle.cancelSubscription(this.ctx, input);
  }

  /** Pauses a subscription's payment collection (`pause_collection`). */
  pauseSubscription(input: lifecycle.PauseSubscriptionInput): Promise<SubscriptionRecord> {
    return lifecycle.pauseSubscription(this.ctx, input);
  }

  /** Resumes collection, and withdraws a cancellation set for the period's end. */
  resumeSubscription(input: { subscriptionId: string }): Promise<SubscriptionRecord> {
    return lifecycle.resumeSubscription(this.ctx, input);
  }

  /** The stored subscription, or null. */
  getSubscription(subscriptionId: string): Promise<SubscriptionRecord | null> {
    return lifecycle.getSubscriptionRecord(this.ctx, subscriptionId);
  }

  /** Stored subscriptions, newest first (default at most 100), optionally of one vendor. */
  listSubscriptions(options: lifecycle.ListSubscriptionsOptions = {}): Promise<SubscriptionRecord[]> {
    return lifecycle.listSubscriptionRecords(this.ctx, options);
  }

  /** The stored invoices of a subscription, newest first, each with the platform's fee on it. */
  listInvoices(subscriptionId: string, options: { limit?: number } = {}): Promise<InvoiceRecord[]> {
    return lifecycle.listInvoiceRecords(this.ctx, subscriptionId, options);
  }

  // ---- webhooks ----------------------------------------------------------------------------------

  /**
   * Runs `handler` for each verified event of `type` (or of any of the types), after the built-in handlers
   * updated storage. The event is narrowed to the type. Returns a function that removes the handler.
   */
  on<T extends WebhookEventType>(type: T | readonly T[], handler: WebhookHandler<T, S>): () => void {
    return this.#webhooks.on(type, handler as unknown as WebhookHandler<T>);
  }

  /** Runs `handler` for every verified event, after the handlers registered with `on`. */
  onAny(handler: WebhookHandler<WebhookEventType, S>): () => void {
    return this.#webhooks.onAny(handler as unknown as WebhookHandler);
  }

  /** Runs `handler` when processing a verified event fails (the delivery is answered with 500). */
  onError(handler: WebhookErrorHandler): () => void {
    return this.#webhooks.onError(handler);
  }

  /**
   * Verifies one webhook delivery against the raw body, processes it exactly once, and returns the HTTP
   * status to answer with. Never throws for a problem in the request.
   */
  handleWebhook(input: WebhookInput): Promise<WebhookResult> {
    return handleWebhook(this.#pipeline, this.webhookSettings, input);
  }

  /**
   * The first layer of `handleWebhook` on its own: checks the signature over the raw bytes against the
   * platform, then the Connect secrets, and returns `{ ok: true, event, endpoint }` or `{ ok: false, message }`.
   * Never throws and stores nothing; pass a verified event to `receiveEvent` to process it.
   */
  verifyWebhook(body: string | Uint8Array, signature: string | null | undefined): Promise<VerifyResult> {
    return verifyWebhook(this.ctx.stripe, this.webhookSettings, body, signature, this.ctx.now());
  }

  /**
   * Processes an event you already trust (for example one from `stripe.events.list`, or one verified by
   * your own code) exactly once, together with live deliveries: claims it, projects it into storage, runs
   * your handlers and marks it processed. Never throws; a failure is `{ outcome: 'failed', error }` and the
   * event stays in the inbox with its error.
   */
  receiveEvent(event: Stripe.Event, options: { source?: EventSource } = {}): Promise<ReceiveOutcome> {
    if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string') {
      throw new MarketplaceError('INVALID_INPUT', 'receiveEvent(event): pass a Stripe event object');
    }
    return receiveEvent(this.#pipeline, event, { source: options.source ?? 'delivery' });
  }

  /**
   * `handleWebhook` for a web-standard Request (Next.js route handlers, Hono, Bun, Deno, Workers).
   * Reads the raw body itself (at most 1 MiB) and answers with a small JSON Response.
   */
  async handleWebhookRequest(request: Request): Promise<Response> {
    if (typeof request !== 'object' || request === null || typeof request.headers?.get !== 'function') {
      return toResponse({ status: 500, outcome: 'failed', error: 'handleWebhookRequest expects a web-standard Request' });
    }
    let body: Uint8Array | null;
    try {
      body = await readRequestBody(request, MAX_WEBHOOK_BODY_BYTES);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return toResponse({ status: 400, outcome: 'rejected', error: `the request body could not be read: ${reason}` });
    }
    if (body === null) return toResponse(bodyTooLarge(MAX_WEBHOOK_BODY_BYTES));
    const result = await this.handleWebhook({ body, signature: request.headers.get('stripe-signature') });
    return toResponse(result);
  }
}
