/**
 * The record kinds: what the platform remembers of Stripe, one kind per Stripe concept. Pure types and
 * the envelope each kind is stored with (its status, its one secondary index, the Stripe ids that
 * resolve to it). Storage adapters know none of this: they store envelopes (see `storage/types.ts`).
 */

import { type RecordKind, present } from './record-kind.js';

import type { RefundPart } from './money/refund.js';

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
  /**
   * The vendor's latest failed payout, from `payout.failed`; cleared when a payout created after it is paid.
   * Null (or absent, on records stored before) when there is none.
   */
  readonly payoutFailed?: VendorPayoutFailure | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A failed payout, as shown on its vendor. */
export interface VendorPayoutFailure {
  readonly payoutId: string;
  readonly amount: number;
  readonly currency: string;
  /** Stripe's `failure_code` (for example `account_closed`, `no_account`). */
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  /** When Stripe created the payout (ms since the epoch). */
  readonly payoutCreatedAt: number;
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

/** Stripe's dispute statuses. */
export type DisputeStatus =
  | 'warning_needs_response'
  | 'warning_under_review'
  | 'warning_closed'
  | 'needs_response'
  | 'under_review'
  | 'won'
  | 'lost'
  | 'prevented';

/** One line of an order: what one vendor sells in it, and how the money is split. */
export interface OrderItem {
  readonly vendorId: string;
  /** The vendor's connected account when the order was created. */
  readonly accountId: string;
  /** The item's amount in minor units. */
  readonly amount: number;
  /** The platform's fee on this item (a snapshot of the commission policy's answer). */
  readonly applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`. */
  readonly vendorAmount: number;
  readonly description: string | null;
}

/**
 * How the order's payment reaches its vendors: `destination` (one vendor; the PaymentIntent's
 * `transfer_data.destination` and `application_fee_amount`), or `separate` (several vendors; one
 * PaymentIntent with a `transfer_group`, then one transfer per vendor).
 */
export type ChargeType = 'destination' | 'separate';

export interface PaymentError {
  readonly code: string | null;
  readonly declineCode: string | null;
  readonly message: string | null;
}

/**
 * The platform's order: the aggregate the user sees. It carries its payment (one PaymentIntent, or one
 * Checkout Session and its PaymentIntent, per order: the library's idempotency rule), so that every
 * payment event is one write. Refunds, disputes and transfers are records of their own.
 */
export interface OrderRecord {
  /** The platform's id for the order. */
  readonly orderId: string;
  /** The vendor (for a cart, the first item's vendor). */
  readonly vendorId: string;
  /** The connected account that receives the transfer (for a cart, the first item's). */
  readonly accountId: string;
  /** `embedded` (PaymentIntent + Payment Element) or `hosted` (Checkout Session). */
  readonly mode: 'embedded' | 'hosted';
  readonly chargeType: ChargeType;
  /** The charge amount in minor units: the sum of the items' amounts. */
  readonly amount: number;
  /** Lower-case ISO code. */
  readonly currency: string;
  /** The platform's fee as it was computed at checkout: the sum of the items' fees. */
  readonly applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`: what the vendors receive before Stripe's own fees, which the platform pays. */
  readonly vendorAmount: number;
  readonly items: readonly OrderItem[];
  readonly status: OrderStatus;
  readonly paymentIntentId: string | null;
  readonly checkoutSessionId: string | null;
  /** The latest charge of the PaymentIntent, once known. */
  readonly chargeId: string | null;
  /** Cumulative refunded amount in minor units. Never decreases. */
  readonly amountRefunded: number;
  /** The order's latest dispute, as a summary (the dispute record has the rest). */
  readonly dispute: { readonly id: string; readonly status: DisputeStatus; readonly amount: number } | null;
  /** The last failure Stripe reported, while the order is `failed`; cleared when the order moves on. */
  readonly lastPaymentError: PaymentError | null;
  /**
   * The refunds that count against what is left to refund, by refund id (the platform's, or Stripe's `re_` id for a
   * refund the library did not make): reserved before Stripe is called, released when Stripe refuses or the refund
   * fails or is canceled. Absent on orders stored before refunds existed (read it as empty).
   */
  readonly refundHolds?: Readonly<Record<string, RefundHold>>;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
  /**
   * The Stripe request that creates the order's payment, stored with the order before it is sent, so that a
   * retry (after a crash or a lost answer) sends exactly the same parameters under the same idempotency key.
   * Absent on orders stored by earlier versions.
   */
  readonly stripeRequest?: StripeCreateRequest;
}

/** A Stripe create request as it is sent: the method, and its parameters (JSON values only). */
export interface StripeCreateRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * `onboardVendor`'s `accounts.create` request, stored before it is sent (the vendor is stored only once
 * Stripe answers): a retry after a lost answer sends the same parameters with the same idempotency key.
 */
export interface AccountRequestRecord {
  readonly vendorId: string;
  readonly request: StripeCreateRequest;
  readonly createdAt: number;
}

/** A dispute on an order's charge, as `charge.dispute.*` events report it. */
export interface DisputeRecord {
  readonly disputeId: string;
  readonly orderId: string;
  readonly chargeId: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly status: DisputeStatus;
  readonly reason: string | null;
  /** True once `charge.dispute.funds_withdrawn` was seen (and not since reinstated). */
  readonly fundsWithdrawn: boolean;
  /** True once `charge.dispute.funds_reinstated` was seen. */
  readonly fundsReinstated: boolean;
  /**
   * The dispute policy's money moves, one per vendor it takes something back from: decided once, when the
   * dispute is first seen as a chargeback; null (or absent, on records stored before) until then, and for
   * inquiries that never become one. An empty list: the policy moves nothing.
   */
  readonly moves?: readonly DisputeVendorMove[] | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Where one money move of a dispute stands: `pending` (made when its time comes: a reversal while the
 * dispute is an open or lost chargeback, a repayment once it is won), `done` (Stripe made it: `stripeId`),
 * `skipped` (not needed: a reversal when the dispute was won before it was made, a repayment when lost).
 */
export type DisputeMoveStatus = 'pending' | 'done' | 'skipped';

export interface DisputeMoveStep {
  readonly status: DisputeMoveStatus;
  /** The reversal (`trr_...`) or the repayment transfer (`tr_...`), once done (null for a reversal of nothing left). */
  readonly stripeId: string | null;
  /** When it was recorded as done or skipped (ms since the epoch). */
  readonly at: number | null;
}

/** What a dispute takes back from one vendor, and gives back if it is won. */
export interface DisputeVendorMove {
  readonly vendorId: string;
  readonly accountId: string;
  /**
   * Minor units, in the dispute's currency: reversed from the vendor's transfer, repaid in full if won. The policy's
   * answer, lowered to what the transfer still had when the reversal was made (a refund may have reversed part of it).
   */
  readonly amount: number;
  /** The reversal of the vendor's transfer, with idempotency key `dispute:<disputeId>:reversal:<vendorId>`. */
  readonly reversal: DisputeMoveStep;
  /** The new transfer paying it back, with idempotency key `dispute:<disputeId>:repay:<vendorId>`. */
  readonly repayment: DisputeMoveStep;
}

/** A refund's status, as Stripe reports it. */
export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

/** One refund's claim on an order's refundable amount (see `OrderRecord.refundHolds`). */
export interface RefundHold {
  readonly amount: number;
  /** `reserved` until Stripe created the refund, then `open` (pending, requires action or succeeded). */
  readonly state: 'reserved' | 'open';
  /** Who bears the refund, per vendor (empty for a refund the library did not make). */
  readonly parts: readonly RefundPart[];
}

/** Money the library moved for a refund, on one vendor's transfer or fee. */
export interface RefundMovement {
  readonly vendorId: string;
  /** Stripe's id: a transfer reversal (`trr_`), an application fee refund (`fr_`) or a transfer (`tr_`). */
  readonly id: string;
  readonly amount: number;
}

/** A refund of an order (the library's `refund`, or one made in the Dashboard). */
export interface RefundRecord {
  /** The platform's id for the refund, or the Stripe id for a refund the library did not make. */
  readonly refundId: string;
  readonly orderId: string;
  /** Stripe's refund (`re_...`), once created. */
  readonly stripeRefundId: string | null;
  readonly amount: number;
  readonly currency: string;
  readonly status: RefundStatus;
  readonly reason: string | null;
  readonly failureReason: string | null;
  /** `library` for `market.refund`, `stripe` for a refund made elsewhere (the Dashboard, the API). */
  readonly source?: 'library' | 'stripe';
  /** Who bears the refund, per vendor, as the refund policy decided (empty for a refund the library did not make). */
  readonly parts?: readonly RefundPart[];
  /** Transfer reversals the library made: what each vendor gave back. */
  readonly transferReversals?: readonly RefundMovement[];
  /** Application fee refunds the library made: the fee the platform returned. */
  readonly feeRefunds?: readonly RefundMovement[];
  /** Transfers that gave a vendor back what they bore, after the refund failed or was canceled. */
  readonly restores?: readonly RefundMovement[];
  readonly metadata?: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * A transfer the library makes to a vendor (separate charges and transfers, or a dispute's pay-back):
 * `held` until the vendor's account can receive it, `pending` while it is being created, `paid` once
 * Stripe created it, `reversed` when it was reversed in full.
 */
export type TransferStatus = 'held' | 'pending' | 'paid' | 'reversed' | 'failed';

export interface TransferRecord {
  /** The platform's id for the transfer (for example `<orderId>:<vendorId>`). */
  readonly transferId: string;
  readonly orderId: string;
  readonly vendorId: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: TransferStatus;
  /** Stripe's transfer (`tr_...`), once created. */
  readonly stripeTransferId: string | null;
  readonly amountReversed: number;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The `transfer_group` the transfer carries (a cart's order id), when it has one. */
  readonly transferGroup?: string | null;
  /** How many times a process claimed the transfer to create it at Stripe. */
  readonly attempts?: number;
  /**
   * While set and in the future (milliseconds since the epoch), one process holds the transfer and is
   * creating it at Stripe; after it, another process may claim it again (with the same idempotency key).
   */
  readonly claimedUntil?: number | null;
  /** A `pending` transfer is not tried again before this time (milliseconds since the epoch): the backoff after a failure. */
  readonly nextAttemptAt?: number | null;
}

/** A payout's status, as Stripe reports it. */
export type PayoutStatus = 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';

/**
 * A payout of a vendor's connected account, from Connect `payout.*` events. `createdAt` is when Stripe
 * created the payout (its `created`, in ms), so listing newest first follows Stripe's order.
 */
export interface PayoutRecord {
  readonly payoutId: string;
  readonly vendorId: string;
  readonly accountId: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: PayoutStatus;
  /** When the payout is expected in the bank (Stripe's `arrival_date`, in ms since the epoch). */
  readonly arrivalDate: number | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A single-use OAuth state, bound to the vendor that started the flow. */
export interface OAuthStateRecord {
  readonly state: string;
  readonly vendorId: string;
  /** Milliseconds since the epoch after which the state is no longer accepted. */
  readonly expiresAt: number;
}

export { type RecordKind, envelope } from './record-kind.js';

/** Vendors: by the platform's vendor id; `acct_` resolves to the vendor. */
export const VENDOR: RecordKind<VendorRecord> = {
  kind: 'vendor',
  id: (v) => v.vendorId,
  status: (v) => v.status,
  index: () => null,
  refs: (v) => [v.accountId],
  createdAt: (v) => v.createdAt,
};

/** Orders: by the platform's order id, listed by vendor; `pi_`, `cs_` and `ch_` resolve to the order. */
export const ORDER: RecordKind<OrderRecord> = {
  kind: 'order',
  id: (o) => o.orderId,
  status: (o) => o.status,
  index: (o) => o.vendorId,
  refs: (o) => present(o.paymentIntentId, o.checkoutSessionId, o.chargeId),
  createdAt: (o) => o.createdAt,
};

/** Disputes: by Stripe's dispute id, listed by order; `dp_`/`du_` resolve to the dispute. */
export const DISPUTE: RecordKind<DisputeRecord> = {
  kind: 'dispute',
  id: (d) => d.disputeId,
  status: (d) => d.status,
  index: (d) => d.orderId,
  refs: (d) => [d.disputeId],
  createdAt: (d) => d.createdAt,
};

/** Refunds: by `<orderId>:<refundId>`, listed by order; `re_` resolves to the refund. */
export const REFUND: RecordKind<RefundRecord> = {
  kind: 'refund',
  id: (r) => `${r.orderId}:${r.refundId}`,
  status: (r) => r.status,
  index: (r) => r.orderId,
  refs: (r) => present(r.stripeRefundId),
  createdAt: (r) => r.createdAt,
};

/** Transfers: by the platform's transfer id, listed by order; `tr_` resolves to the transfer. */
export const TRANSFER: RecordKind<TransferRecord> = {
  kind: 'transfer',
  id: (t) => t.transferId,
  status: (t) => t.status,
  index: (t) => t.orderId,
  refs: (t) => present(t.stripeTransferId),
  createdAt: (t) => t.createdAt,
};

/** Payouts: by Stripe's payout id, listed by vendor; `po_` resolves to the payout. */
export const PAYOUT: RecordKind<PayoutRecord> = {
  kind: 'payout',
  id: (p) => p.payoutId,
  status: (p) => p.status,
  index: (p) => p.vendorId,
  refs: (p) => [p.payoutId],
  createdAt: (p) => p.createdAt,
};

/** `onboardVendor`'s account requests: by the platform's vendor id. */
export const ACCOUNT_REQUEST: RecordKind<AccountRequestRecord> = {
  kind: 'account_request',
  id: (r) => r.vendorId,
  status: () => 'sent',
  index: () => null,
  refs: () => [],
  createdAt: (r) => r.createdAt,
};

/** OAuth states: single-use, expiring, listed by vendor. */
export const OAUTH_STATE: RecordKind<OAuthStateRecord> = {
  kind: 'oauth_state',
  id: (s) => s.state,
  status: () => 'issued',
  index: (s) => s.vendorId,
  refs: () => [],
  expiresAt: (s) => s.expiresAt,
  createdAt: (s) => s.expiresAt,
};

export * from './records-billing.js';
