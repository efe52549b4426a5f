/** The record kinds of subscriptions and their invoices (see `records.ts` for the others). */
import { type RecordKind, present } from './record-kind.js';

/** Stripe's subscription statuses, and `pending` until the library has seen the subscription Stripe made. */
export type SubscriptionStatus =
  | 'pending'
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'unpaid'
  | 'paused'
  | 'canceled';

/**
 * How the platform's fee reaches each invoice of a subscription:
 * - `application_fee_percent`: the commission policy is a bare `percentage(rate)` that Stripe can apply itself
 *   (the subscription's `application_fee_percent`);
 * - `per_invoice`: any other policy, priced on each invoice by the library: on a renewal's draft, as the
 *   vendor's `transfer_data.amount`; on the first invoice (which Stripe finalizes at once), by reversing the
 *   fee from the transfer once the invoice is paid.
 */
export type SubscriptionFeeMode = 'application_fee_percent' | 'per_invoice';

export type BillingInterval = 'day' | 'week' | 'month' | 'year';

/** A vendor's subscription: a destination subscription on the platform whose invoices pay the vendor. */
export interface SubscriptionRecord {
  /** The platform's id for the subscription. One id is one Stripe subscription. */
  readonly subscriptionId: string;
  readonly vendorId: string;
  readonly accountId: string;
  /** `embedded` (Stripe.js confirms the first invoice's payment) or `hosted` (Checkout in subscription mode). */
  readonly mode: 'embedded' | 'hosted';
  /** The price of one period in minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly interval: BillingInterval;
  readonly trialDays: number | null;
  readonly feeMode: SubscriptionFeeMode;
  /** The subscription's `application_fee_percent` when `feeMode` is `application_fee_percent`. */
  readonly applicationFeePercent: number | null;
  /** The customer (`cus_...`), once known. */
  readonly customerId: string | null;
  /** The price (`price_...`), once known. */
  readonly priceId: string | null;
  readonly stripeSubscriptionId: string | null;
  readonly checkoutSessionId: string | null;
  readonly status: SubscriptionStatus;
  /** True when the subscription ends at the end of the current period. */
  readonly cancelAtPeriodEnd: boolean;
  /** Stripe's `pause_collection.behavior` while collection is paused, else null. */
  readonly pauseCollection: 'keep_as_draft' | 'mark_uncollectible' | 'void' | null;
  /** Unix seconds: the current period's end, once known. */
  readonly currentPeriodEnd: number | null;
  /** Unix seconds when the subscription ended (canceled or expired). */
  readonly endedAt: number | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An invoice's status as Stripe reports it; statuses only move forward (see `INVOICE_STAGE`). */
export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** One invoice of a subscription, with the platform's fee on it. */
export interface InvoiceRecord {
  /** Stripe's invoice (`in_...`). */
  readonly invoiceId: string;
  /** The platform's subscription id. */
  readonly subscriptionId: string;
  readonly vendorId: string;
  readonly accountId: string;
  /** The amount due in minor units. */
  readonly amount: number;
  readonly currency: string;
  /** The platform's fee on this invoice, once it is set (null while a draft waits for it). */
  readonly applicationFeeAmount: number | null;
  /** `amount - applicationFeeAmount`, once the fee is set. */
  readonly vendorAmount: number | null;
  /** How the fee was applied: see `SubscriptionFeeMode`; `transfer_reversal` only for a first invoice. */
  readonly feeMethod: 'application_fee_percent' | 'transfer_amount' | 'transfer_reversal' | null;
  readonly status: InvoiceStatus;
  readonly billingReason: string | null;
  /** How many payment attempts failed (`invoice.payment_failed`). */
  readonly paymentFailures: number;
  readonly periodStart: number | null;
  readonly periodEnd: number | null;
  readonly paidAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Subscriptions: by the platform's id, listed by vendor; `sub_` and `cs_` resolve to the subscription. */
export const SUBSCRIPTION: RecordKind<SubscriptionRecord> = {
  kind: 'subscription',
  id: (s) => s.subscriptionId,
  status: (s) => s.status,
  index: (s) => s.vendorId,
  refs: (s) => present(s.stripeSubscriptionId, s.checkoutSessionId),
  createdAt: (s) => s.createdAt,
};

/** Invoices: by Stripe's invoice id, listed by the platform's subscription id; `in_` resolves to the invoice. */
export const INVOICE: RecordKind<InvoiceRecord> = {
  kind: 'invoice',
  id: (i) => i.invoiceId,
  status: (i) => i.status,
  index: (i) => i.subscriptionId,
  refs: (i) => [i.invoiceId],
  createdAt: (i) => i.createdAt,
};
