import type { Context } from '../context.js';
import { ORDER, type OrderRecord } from '../core/records.js';
import type { StoredRecord } from '../storage/types.js';
import { getStored, insertRecord, listRecords, mutateRecord, resolveStored } from './records.js';

/** The orders service: every flow reads and writes orders through it. */

export async function getOrder(ctx: Context, orderId: string): Promise<OrderRecord | null> {
  return (await getStored(ctx.storage, ORDER, orderId))?.data ?? null;
}

/** The order a Stripe id (`pi_`, `cs_`, `ch_`) resolves to, as stored (with its version), or null. */
export function orderByStripeId(ctx: Context, stripeId: string): Promise<StoredRecord<OrderRecord> | null> {
  return resolveStored(ctx.storage, ORDER, stripeId);
}

export async function listOrders(ctx: Context, options: { vendorId?: string; limit?: number }): Promise<OrderRecord[]> {
  return listRecords(ctx.storage, ORDER, { index: options.vendorId, limit: options.limit ?? 100 });
}

/** Stores a new order once; under a race every caller receives the stored order, so a conflict can be detected. */
export async function insertOrder(ctx: Context, order: OrderRecord): Promise<{ created: boolean; order: OrderRecord }> {
  const { created, record } = await insertRecord(ctx.storage, ORDER, order);
  return { created, order: record.data };
}

/**
 * Applies `change` (a pure function of the current order; null to write nothing) with a version-guarded
 * write, retried when another writer got there first.
 */
export function mutateOrder(
  ctx: Context,
  orderId: string,
  change: (current: OrderRecord) => OrderRecord | null,
  current?: StoredRecord<OrderRecord> | null,
): Promise<{ applied: boolean; record: OrderRecord | null }> {
  return mutateRecord(ctx.storage, ORDER, orderId, change, current);
}
