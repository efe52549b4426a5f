/**
 * The storage contract. An adapter is correct when it passes `runStorageConformance` from
 * `stripe-marketplace/testing`. Every method that guards money (creating an order, consuming an OAuth
 * state, claiming a webhook event, moving an order's status) must be atomic in the backing store:
 * one statement or one transaction, never a read followed by a write in JavaScript.
 *
 * Records are plain JSON-compatible objects. Timestamps are milliseconds since the epoch.
 */

/**
 * Where a vendor stands, from Stripe's point of view:
 * - `onboarding`: the vendor has not submitted their details yet.
 * - `pending_verification`: details submitted; Stripe is verifying them. Nothing for the vendor to do.
 * - `action_required`: Stripe needs more information from the vendor (requirements currently or past due).
 * - `restricted`: the account cannot receive transfers or payouts, and it is not only waiting on verification.
 * - `active`: transfers are active, payouts are enabled and nothing is due.
 * - `rejected`: Stripe or the platform rejected the account.
 * - `disconnected`: the account deauthorized the platform (OAuth platforms).
 */
export type VendorStatus =
  | 'onboarding'
  | 'pending_verification'
  | 'action_required'
  | 'restricted'
  | 'active'
  | 'rejected'
  | 'disconnected';

/** Stripe's status of the `transfers` capability, or `unrequested` when the account lacks it. */
export type CapabilityStatus = 'active' | 'inactive' | 'pending' | 'unrequested';

export interface VendorRequirements {
  readonly currentlyDue: readonly string[];
  readonly pastDue: readonly string[];
  readonly eventuallyDue: readonly string[];
  readonly pendingVerification: readonly string[];
  readonly disabledReason: string | null;
  /** Unix seconds by which `currentlyDue` must be provided, when Stripe sets one. */
  readonly currentDeadline: number | null;
}

/** The part of a vendor record that is derived from the Stripe account (see `vendorStateFromAccount`). */
export interface VendorState {
  readonly status: VendorStatus;
  readonly chargesEnabled: boolean;
  readonly payoutsEnabled: boolean;
  readonly detailsSubmitted: boolean;
  readonly transfersCapability: CapabilityStatus;
  readonly requirements: VendorRequirements;
}

export interface VendorRecord extends VendorState {
  /** The platform's id for the vendor. */
  readonly vendorId: string;
  /** The vendor's connected account (`acct_...`). */
  readonly accountId: string;
  /** How the account was connected. */
  readonly connection: 'account_link' | 'oauth';
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * An order's payment status. It only moves forward (see `ORDER_TRANSITIONS`):
 * `pending` -> `processing` -> `succeeded` -> `partially_refunded` -> `refunded`,
 * with `failed` (the customer may retry, so it can still move on), and the ends `canceled` and `expired`.
 */
export type OrderStatus =
  | 'pending'
  | 'processing'
  | 'failed'
  | 'succeeded'
  | 'partially_refunded'
  | 'refunded'
  | 'canceled'
  | 'expired';

export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented';

export interface OrderRecord {
  /** The platform's id for the order. */
  readonly orderId: string;
  readonly vendorId: string;
  /** The connected account that receives the transfer. */
  readonly accountId: string;
  /** `embedded` (PaymentIntent + Payment Element) or `hosted` (Checkout Session). */
  readonly mode: 'embedded' | 'hosted';
  /** The charge amount in minor units. */
  readonly amount: number;
  /** Lower-case ISO code. */
  readonly currency: string;
  /** The platform's fee as it was computed at checkout (a snapshot; later policy changes do not alter it). */
  readonly applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`: what the vendor receives before Stripe's own fees, which the platform pays. */
  readonly vendorAmount: number;
  readonly status: OrderStatus;
  readonly paymentIntentId: string | null;
  readonly checkoutSessionId: string | null;
  /** The latest charge of the PaymentIntent, once known. */
  readonly chargeId: string | null;
  /** Cumulative refunded amount in minor units. Never decreases. */
  readonly amountRefunded: number;
  readonly dispute: { readonly id: string; readonly status: DisputeStatus; readonly amount: number } | null;
  /** The last failure Stripe reported (decline code or error code and message), cleared by nothing: kept for support. */
  readonly lastPaymentError: {
    readonly code: string | null;
    readonly declineCode: string | null;
    readonly message: string | null;
  } | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Fields `updateOrder` may set besides `status`. `amountRefunded` never decreases: the larger value wins. */
export type OrderPatch = Partial<
  Pick<OrderRecord, 'paymentIntentId' | 'checkoutSessionId' | 'chargeId' | 'amountRefunded' | 'dispute' | 'lastPaymentError'>
>;

export interface OrderUpdate {
  /** The new status. Applied only when the current status is in `from`. */
  status?: OrderStatus;
  /** The statuses the order may be in for this update to apply. Omit to apply whatever the status is. */
  from?: readonly OrderStatus[];
  /** Other fields to set in the same atomic write, under the same `from` condition. */
  patch?: OrderPatch;
  /** The time of the write (defaults to now). */
  now?: number;
}

export interface OrderUpdateResult {
  /** True when the update was written; false when the order was missing or not in a `from` status. */
  readonly applied: boolean;
  /** The order after the update, or as it stands when the update did not apply; null when there is none. */
  readonly order: OrderRecord | null;
}

export interface OAuthStateRecord {
  readonly state: string;
  readonly vendorId: string;
  /** Milliseconds since the epoch after which the state is no longer accepted. */
  readonly expiresAt: number;
}

/**
 * The result of claiming a webhook event:
 * - `claimed`: this caller holds the lease and must run the handlers, then `completeEvent` or `releaseEvent` with `token`.
 * - `processed`: the event was completed before; do nothing.
 * - `in_progress`: another caller holds an unexpired lease; do not run the handlers.
 */
export type EventClaim =
  | { readonly status: 'claimed'; readonly token: string }
  | { readonly status: 'processed' }
  | { readonly status: 'in_progress'; readonly leaseExpiresAt: number };

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

export interface MarketplaceStorage {
  // ---- vendors -------------------------------------------------------------------------------

  /** The vendor stored under `vendorId`, or null. */
  getVendor(vendorId: string): Promise<VendorRecord | null>;
  /** The vendor whose connected account is `accountId` now, or null; when several are, the most recently updated. */
  getVendorByAccount(accountId: string): Promise<VendorRecord | null>;
  /** Vendors, newest first (default at most 100), optionally only those with one of `statuses`. */
  listVendors(options?: ListVendorsOptions): Promise<VendorRecord[]>;
  /**
   * Stores `vendor` unless a vendor with the same `vendorId` exists. Atomic: when several callers insert
   * the same `vendorId` at once, exactly one gets `created: true`, and every caller receives the record
   * that is stored (the winner's).
   */
  insertVendor(vendor: VendorRecord): Promise<{ created: boolean; vendor: VendorRecord }>;
  /**
   * Replaces the Stripe-derived state of an existing vendor (and `accountId`/`connection` when given).
   * Returns the updated record, or null when no vendor has that id. Last writer wins; callers re-read the
   * account from Stripe before writing, and run those re-reads for one account one at a time within a
   * process; two processes re-reading at once can still store the older answer last, until the account's
   * next update corrects it.
   */
  updateVendor(
    vendorId: string,
    state: VendorState & { accountId?: string; connection?: VendorRecord['connection'] },
    now?: number,
  ): Promise<VendorRecord | null>;

  // ---- orders --------------------------------------------------------------------------------

  getOrder(orderId: string): Promise<OrderRecord | null>;
  /**
   * The order whose `paymentIntentId` is this id now, or null. An id the order carried before an update
   * no longer finds it. When several orders carry the id, the most recently updated one.
   */
  getOrderByPaymentIntent(paymentIntentId: string): Promise<OrderRecord | null>;
  /** As `getOrderByPaymentIntent`, by `checkoutSessionId`. */
  getOrderByCheckoutSession(checkoutSessionId: string): Promise<OrderRecord | null>;
  /** Orders newest first. */
  listOrders(options?: ListOrdersOptions): Promise<OrderRecord[]>;
  /**
   * Stores `order` unless an order with the same `orderId` exists. Atomic: exactly one concurrent caller
   * gets `created: true`; every caller receives the stored record, so a conflict can be detected.
   */
  insertOrder(order: OrderRecord): Promise<{ created: boolean; order: OrderRecord }>;
  /**
   * Applies `update` atomically: the status and patch are written together, and only when the current
   * status is in `update.from` (when given). `amountRefunded` is written as the larger of the stored
   * and the new value.
   */
  updateOrder(orderId: string, update: OrderUpdate): Promise<OrderUpdateResult>;

  // ---- OAuth states --------------------------------------------------------------------------

  /** Stores a new single-use state. States are random; a duplicate `state` may be refused by throwing. */
  saveOAuthState(record: OAuthStateRecord): Promise<void>;
  /**
   * Deletes the state and returns it, if it exists and `expiresAt > now`. Atomic: when several callers
   * consume the same state at once, exactly one receives the record; the others receive null. An
   * expired state is deleted too and returns null.
   */
  consumeOAuthState(state: string, now: number): Promise<OAuthStateRecord | null>;

  // ---- webhook events ------------------------------------------------------------------------

  /**
   * Claims `eventId` for processing with a lease of `leaseMs`. Atomic: when several callers claim the
   * same event at once, at most one gets `claimed`. A claim whose lease has expired may be taken over
   * (with a new token). A completed event always answers `processed`.
   */
  claimEvent(eventId: string, options: { leaseMs: number; now: number; type?: string }): Promise<EventClaim>;
  /**
   * Marks the event processed. Only the holder of `token` may complete it: returns false (and changes
   * nothing) when the claim was taken over after its lease expired.
   */
  completeEvent(eventId: string, token: string, now: number): Promise<boolean>;
  /**
   * Drops the claim so that the next delivery runs the handlers again. Only the holder of `token` may
   * release it: returns false (and changes nothing) otherwise.
   */
  releaseEvent(eventId: string, token: string): Promise<boolean>;

  // ---- transactions (optional) ---------------------------------------------------------------

  /**
   * Optional: adapters whose store has transactions provide it; others leave it out.
   * Runs `fn` in one transaction. `tx` is this storage bound to that transaction: every write made
   * through `tx` commits when `fn` resolves, and none does when `fn` throws (the error is rethrown after
   * the rollback). Inside `fn`, use only `tx`. A `tx.transaction` call nests (a savepoint, or the same
   * transaction). With the Marketplace option `webhookTransactions: true`, webhook processing runs the
   * handlers (with `ctx.storage` = `tx`) and `completeEvent` in one call, so they commit together or not at all.
   */
  transaction?<T>(fn: (tx: MarketplaceStorage) => Promise<T>): Promise<T>;
}
