import type Stripe from 'stripe';
import * as z from 'zod/mini';
import type { Logger } from './context.js';
import type { CommissionPolicy } from './core/money/commission.js';
import type { DisputePolicy } from './core/money/dispute.js';
import type { RefundPolicy } from './core/money/refund.js';
import type { VendorStatus } from './core/records.js';
import type { BackfillOptions, InboxProgress, InboxSummary, WorkOptions } from './webhooks/inbox.js';
import type { InboxEvent, InboxStatus } from './storage/types.js';
import type { TimeLimits } from './util/time-limit.js';
import type { MarketplaceStorage } from './storage/types.js';
import { idSchema } from './util/schemas.js';
import { lazy } from './util/validate.js';

/** The Marketplace's options and list arguments: their types and their schemas (see `marketplace.ts`). */

export interface ListVendorsOptions {
  statuses?: readonly VendorStatus[];
  /** At most this many, newest first. Default 100. */
  limit?: number;
}

export interface ListOrdersOptions {
  vendorId?: string;
  /** At most this many, newest first. Default 100. */
  limit?: number;
}

/** One webhook signing secret (`whsec_...`), or several while a secret is being rolled. */
export type WebhookSecret = string | readonly string[];

export interface MarketplaceOptions<S extends MarketplaceStorage = MarketplaceStorage> {
  /** Your Stripe client (`new Stripe(key)`); its API version, retries, timeout and host stay yours. */
  stripe: Stripe;
  /** Where the platform's memory of Stripe lives: `memoryStorage()`, `postgresStorage(...)`, or your own adapter. */
  storage: S;
  /** Computes the platform's fee for each checkout, in minor units (for example `percentage(12)`). */
  commission: CommissionPolicy;
  /**
   * Who bears a dispute on a charge: `platformBearsDisputes()` (the default: no money moves between you and
   * your vendors) or `vendorBearsDisputes()` (the vendor's transfer is reversed when the dispute opens and
   * paid back when it is won), or your own function answering per vendor.
   */
  disputePolicy?: DisputePolicy;
  /**
   * Who bears a refund, per vendor: `proportionalRefund()` (the default: the vendor gives back their share, the
   * platform returns its fee in proportion), `platformKeepsFee()`, `platformBearsRefund()`, or your own pure function.
   */
  refundPolicy?: RefundPolicy;
  /**
   * Signing secrets of your webhook endpoints: `platform` for the account's own endpoint, `connect` for the
   * Connect endpoint (events from connected accounts). Either may be omitted.
   */
  webhookSecrets?: { platform?: WebhookSecret; connect?: WebhookSecret };
  /**
   * Whether this deployment handles live-mode (`true`) or test-mode (`false`) events. Events of the other
   * mode are acknowledged and ignored. Required when `webhookSecrets` is set: a live Connect endpoint also
   * receives test events, and guessing the mode wrong would either process test data or drop live events.
   */
  livemode?: boolean;
  /** How long one delivery may hold an event before another delivery may take it over. Default 60 000 ms. */
  eventLeaseMs?: number;
  /**
   * `process` (the default): `handleWebhook` processes each event before it answers. `inbox`: it verifies
   * the event, stores it in one statement and answers 200 at once; `events.work()` processes the inbox
   * (Stripe's own advice: answer quickly, process later).
   */
  webhookMode?: 'process' | 'inbox';
  /** How many times the inbox worker tries an event before it marks it `failed`. Default 8. */
  maxEventAttempts?: number;
  /**
   * Process each webhook event in one storage transaction: the built-in handler's writes, your handlers'
   * writes through `ctx.storage`, and "event processed" commit together or not at all. Needs a storage
   * with `transaction` (for example `postgresStorage`); refused with `INVALID_OPTIONS` otherwise. Default false.
   */
  webhookTransactions?: boolean;
  /** Tolerance for the webhook timestamp, in seconds. Default 300, as in stripe-node. */
  webhookToleranceSeconds?: number;
  /** Legacy OAuth settings, for platforms that already connect accounts with OAuth. */
  oauth?: {
    /** The platform's Connect client id (`ca_...`). Defaults to the Stripe client's `clientId`. */
    clientId?: string;
    /** How long an authorize URL's state stays valid. Default 600 000 ms (10 minutes). */
    stateTtlMs?: number;
  };
  /** Receives the library's diagnostics. Quiet by default. */
  logger?: Logger;
  /** The clock, in milliseconds since the epoch. For tests; defaults to `Date.now`. */
  now?: () => number;
  /**
   * How long to wait, in milliseconds, for code the library calls but does not own; past it the call fails
   * with `TIMEOUT` (a webhook is answered 500 and stays unprocessed). `commissionMs` (default 5 000): the
   * commission policy, wherever it is asked (checkouts, cart items, subscriptions and their invoices). `handlerMs` (default 30 000): each `on`/`onAny` handler and each `onError` handler.
   * `storageMs` (default 20 000): each storage call, and a transaction's start and end. 1 to 3 600 000 each.
   */
  timeouts?: Partial<TimeLimits>;
}

/** Settings resolved from `MarketplaceOptions`. */
export interface ResolvedWebhookSettings {
  readonly platformSecrets: readonly string[];
  readonly connectSecrets: readonly string[];
  readonly livemode: boolean | undefined;
  readonly eventLeaseMs: number;
  readonly toleranceSeconds: number;
  readonly transactions: boolean;
  readonly mode: 'process' | 'inbox';
  readonly maxAttempts: number;
}

/** The inbox operations: `market.events`. */
export interface MarketplaceEvents {
  /** Runs every `failed` event through the pipeline again (source `replay`). */
  replayFailed(options?: { limit?: number; onProgress?: InboxProgress }): Promise<InboxSummary>;
  /** Lists events from Stripe since `since` (platform and connected accounts) and processes what was missed. */
  backfill(options: BackfillOptions): Promise<InboxSummary>;
  /** Drains the inbox (`webhookMode: 'inbox'`, or failed deliveries' retries) until `signal` aborts. */
  work(options?: WorkOptions): Promise<InboxSummary>;
  /** Removes processed events older than `olderThan` ms (default 30 days) and expired single-use records. */
  prune(options?: { olderThan?: number }): Promise<{ events: number; records: number }>;
  /** Inbox events, oldest received first: for example `{ statuses: ['failed'] }`. */
  list(options?: { statuses?: readonly InboxStatus[]; limit?: number }): Promise<InboxEvent[]>;
}

const secretSchema = () => {
  const one = z.string().check(z.regex(/^whsec_\S+$/));
  return z.optional(z.union([one, z.array(one).check(z.minLength(1))]));
};

/** The most records one list call returns. */
export const MAX_LIST_LIMIT = 1000;

const limitSchema = () => z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_LIST_LIMIT)));

export const listVendorsSchema = lazy(() =>
  z.strictObject({
    statuses: z.optional(
      z.array(
        z.enum(['onboarding', 'pending_verification', 'action_required', 'restricted', 'active', 'rejected', 'disconnected']),
      ),
    ),
    limit: limitSchema(),
  }),
);

export const settleTransfersSchema = lazy(() => z.strictObject({ limit: limitSchema() }));

export const listOrdersSchema = lazy(() => z.strictObject({ vendorId: z.optional(idSchema()), limit: limitSchema() }));

const timeLimitSchema = () => z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3_600_000)));

export const optionsSchema = lazy(() =>
  z.strictObject({
    stripe: z.custom<Stripe>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Stripe).paymentIntents?.create === 'function' &&
        typeof (value as Stripe).webhooks?.constructEventAsync === 'function',
      { message: 'a Stripe client (new Stripe(key))' },
    ),
    storage: z.custom<MarketplaceStorage>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as MarketplaceStorage).get === 'function' &&
        typeof (value as MarketplaceStorage).claimEvent === 'function',
      {
        message: 'a storage adapter (memoryStorage() or postgresStorage(...)) implementing the storage contract of this version',
      },
    ),
    commission: z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
      message: 'a commission policy function, for example percentage(12)',
    }),
    disputePolicy: z.optional(
      z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
        message: 'a dispute policy function, for example vendorBearsDisputes()',
      }),
    ),
    refundPolicy: z.optional(
      z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
        message: 'a refund policy function, for example proportionalRefund()',
      }),
    ),
    webhookSecrets: z.optional(z.strictObject({ platform: secretSchema(), connect: secretSchema() })),
    livemode: z.optional(z.boolean()),
    eventLeaseMs: z.optional(z.number().check(z.int(), z.minimum(1_000), z.maximum(24 * 3_600_000))),
    webhookMode: z.optional(z.enum(['process', 'inbox'])),
    maxEventAttempts: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100))),
    webhookTransactions: z.optional(z.boolean()),
    webhookToleranceSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3_600))),
    oauth: z.optional(
      z.strictObject({
        clientId: z.optional(z.string().check(z.regex(/^ca_\S+$/))),
        stateTtlMs: z.optional(z.number().check(z.int(), z.minimum(10_000), z.maximum(24 * 3_600_000))),
      }),
    ),
    logger: z.optional(z.custom<Logger>((value) => typeof value === 'object' && value !== null, { message: 'a logger object' })),
    now: z.optional(z.custom<() => number>((value) => typeof value === 'function', { message: 'a function' })),
    timeouts: z.optional(
      z.strictObject({ commissionMs: timeLimitSchema(), handlerMs: timeLimitSchema(), storageMs: timeLimitSchema() }),
    ),
  }),
);
