import type { Context } from '../context.js';
import { INVOICE, type InvoiceRecord, SUBSCRIPTION, type SubscriptionRecord } from '../core/records.js';
import type { StoredRecord } from '../storage/types.js';
import { getStored, insertRecord, listRecords, mutateRecord, resolveStored } from './records.js';

/** The subscriptions service: subscription and invoice records, for the flows and the projectors. */

export async function getSubscription(ctx: Context, subscriptionId: string): Promise<SubscriptionRecord | null> {
  return (await getStored(ctx.storage, SUBSCRIPTION, subscriptionId))?.data ?? null;
}

export function getStoredSubscription(ctx: Context, subscriptionId: string): Promise<StoredRecord<SubscriptionRecord> | null> {
  return getStored(ctx.storage, SUBSCRIPTION, subscriptionId);
}

/** The subscription a Stripe id (`sub_`, `cs_`) resolves to, as stored, or null. */
export function subscriptionByStripeId(ctx: Context, stripeId: string): Promise<StoredRecord<SubscriptionRecord> | null> {
  return resolveStored(ctx.storage, SUBSCRIPTION, stripeId);
}

export function listSubscriptions(ctx: Context, options: { vendorId?: string; limit?: number }): Promise<SubscriptionRecord[]> {
  return listRecords(ctx.storage, SUBSCRIPTION, { index: options.vendorId, limit: options.limit ?? 100 });
}

/** Stores a new subscription once; under a race every caller receives the stored one. */
export async function insertSubscription(
  ctx: Context,
  record: SubscriptionRecord,
): Promise<{ created: boolean; subscription: SubscriptionRecord }> {
  const { created, record: stored } = await insertRecord(ctx.storage, SUBSCRIPTION, record);
  return { created, subscription: stored.data };
}

/** A version-guarded change of a subscription (`change` returns null to write nothing). */
export function mutateSubscription(
  ctx: Context,
  subscriptionId: string,
  change: (current: SubscriptionRecord) => SubscriptionRecord | null,
  current?: StoredRecord<SubscriptionRecord> | null,
): Promise<{ applied: boolean; record: SubscriptionRecord | null }> {
  return mutateRecord(ctx.storage, SUBSCRIPTION, subscriptionId, change, current);
}

export function getStoredInvoice(ctx: Context, invoiceId: string): Promise<StoredRecord<InvoiceRecord> | null> {
  return getStored(ctx.storage, INVOICE, invoiceId);
}

/** The invoices of a subscription, newest first. */
export function listInvoices(ctx: Context, subscriptionId: string, limit = 100): Promise<InvoiceRecord[]> {
  return listRecords(ctx.storage, INVOICE, { index: subscriptionId, limit });
}
