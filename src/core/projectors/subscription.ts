import type Stripe from 'stripe';
import type { InvoiceRecord, InvoiceStatus, SubscriptionRecord, SubscriptionStatus } from '../records.js';

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value.id === 'string' ? value.id : null;
}

const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'unpaid',
  'paused',
  'canceled',
];

/** A subscription that ended never starts again: Stripe creates a new one instead. */
const ENDED: readonly SubscriptionStatus[] = ['canceled', 'incomplete_expired'];

/**
 * `customer.subscription.*`: stores what Stripe says of the subscription now. The projector passes the
 * subscription as re-read from Stripe (its statuses go back and forth: `active` <-> `past_due`), so the
 * payload's age does not matter; an ended subscription stays ended. Returns null when nothing changes or the
 * Stripe subscription is not this record's.
 */
export function decideSubscription(
  current: SubscriptionRecord,
  subscription: Stripe.Subscription,
  now: number,
): SubscriptionRecord | null {
  if (current.stripeSubscriptionId !== null && current.stripeSubscriptionId !== subscription.id) return null;
  const status = subscription.status as SubscriptionStatus;
  if (!SUBSCRIPTION_STATUSES.includes(status)) return null;
  if (ENDED.includes(current.status) && status !== current.status) return null;
  const pause = (subscription.pause_collection?.behavior ?? null) as SubscriptionRecord['pauseCollection'];
  const next: SubscriptionRecord = {
    ...current,
    stripeSubscriptionId: subscription.id,
    customerId: current.customerId ?? idOf(subscription.customer as string | { id: string } | null),
    status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end === true,
    pauseCollection: pause,
    currentPeriodEnd: subscription.items?.data[0]?.current_period_end ?? current.currentPeriodEnd,
    endedAt: subscription.ended_at ?? current.endedAt,
  };
  const changed = (Object.keys(next) as (keyof SubscriptionRecord)[]).some((key) => next[key] !== current[key]);
  return changed ? { ...next, updatedAt: now } : null;
}

/** How far an invoice has gone: a late `invoice.created` cannot turn a paid invoice back into a draft. */
export const INVOICE_STAGE: Readonly<Record<InvoiceStatus, number>> = Object.freeze({
  draft: 0,
  open: 1,
  paid: 2,
  void: 2,
  uncollectible: 2,
});

/** The fee on an invoice, as the projector applied or confirmed it. */
export interface InvoiceFee {
  readonly amount: number;
  readonly method: NonNullable<InvoiceRecord['feeMethod']>;
}

/**
 * What the platform must do about the fee of `invoice` on this event (the projector's `prepare` does it):
 * - `none`: nothing (the fee is recorded, or cannot be set now);
 * - `record`: compute the fee with the policy and record it (Stripe applies it itself, or the invoice is free), once the
 *   invoice is finalized and its amount can no longer change;
 * - `set_transfer_amount`: a draft of a `per_invoice` subscription: set the vendor's `transfer_data.amount`;
 * - `reverse`: a paid invoice of a `per_invoice` subscription whose fee was not set on a draft (the first
 *   invoice, which Stripe finalizes at once): take the fee back from the vendor's transfer.
 */
export type InvoiceFeePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'record'; readonly method: InvoiceFee['method'] }
  | { readonly kind: 'set_transfer_amount' }
  | { readonly kind: 'reverse' };

export function planInvoiceFee(
  subscription: SubscriptionRecord,
  stored: InvoiceRecord | null,
  type: string,
  invoice: Stripe.Invoice,
): InvoiceFeePlan {
  if (stored?.applicationFeeAmount != null) return { kind: 'none' };
  const method = subscription.feeMode === 'application_fee_percent' ? 'application_fee_percent' : 'transfer_amount';
  // Stripe applies the percentage (or nothing, on a free invoice) to the amount the invoice has once finalized.
  const final = invoice.status !== 'draft';
  if (invoice.amount_due === 0 || subscription.feeMode === 'application_fee_percent') {
    return final ? { kind: 'record', method } : { kind: 'none' };
  }
  if (type === 'invoice.created' && invoice.status === 'draft' && invoice.billing_reason !== 'subscription_create') {
    return { kind: 'set_transfer_amount' };
  }
  if (type === 'invoice.paid') return { kind: 'reverse' };
  return { kind: 'none' };
}

/**
 * `invoice.*` on a subscription's invoice: its status (only forward, `INVOICE_STAGE`), amount, failed
 * attempts, and the fee once known (never changed after). Returns the record to store, or null.
 */
export function decideInvoice(
  subscription: SubscriptionRecord,
  current: InvoiceRecord | null,
  type: string,
  invoice: Stripe.Invoice,
  fee: InvoiceFee | null,
  now: number,
): InvoiceRecord | null {
  const reported = invoice.status as InvoiceStatus | null;
  const status: InvoiceStatus =
    reported && reported in INVOICE_STAGE && (!current || INVOICE_STAGE[reported] > INVOICE_STAGE[current.status])
      ? reported
      : (current?.status ?? 'draft');
  const failed = type === 'invoice.payment_failed' ? Math.max(1, invoice.attempt_count) : 0;
  const amount = current && INVOICE_STAGE[current.status] > INVOICE_STAGE.draft ? current.amount : invoice.amount_due;
  const feeAmount = current?.applicationFeeAmount ?? (fee ? fee.amount : null);
  const next: InvoiceRecord = {
    invoiceId: invoice.id,
    subscriptionId: subscription.subscriptionId,
    vendorId: subscription.vendorId,
    accountId: subscription.accountId,
    amount,
    currency: invoice.currency,
    applicationFeeAmount: feeAmount,
    vendorAmount: feeAmount === null ? null : amount - feeAmount,
    feeMethod: current?.feeMethod ?? fee?.method ?? null,
    status,
    billingReason: invoice.billing_reason ?? current?.billingReason ?? null,
    paymentFailures: Math.max(current?.paymentFailures ?? 0, failed),
    periodStart: invoice.lines?.data[0]?.period?.start ?? current?.periodStart ?? null,
    periodEnd: invoice.lines?.data[0]?.period?.end ?? current?.periodEnd ?? null,
    paidAt: invoice.status_transitions?.paid_at ?? current?.paidAt ?? null,
    createdAt: current?.createdAt ?? now,
    updatedAt: current?.updatedAt ?? now,
  };
  if (!current) return next;
  const changed = (Object.keys(next) as (keyof InvoiceRecord)[]).some((key) => next[key] !== current[key]);
  return changed ? { ...next, updatedAt: now } : null;
}
