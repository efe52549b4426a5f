import type { OrderRecord, OrderUpdate } from './types.js';

/**
 * The reference semantics of `MarketplaceStorage.updateOrder`, for adapters that hold records in
 * JavaScript (an adapter backed by a database expresses the same rule in one statement).
 * Returns the new record, or null when `update.from` does not admit the current status.
 */
export function applyOrderUpdate(order: OrderRecord, update: OrderUpdate): OrderRecord | null {
  if (update.from && !update.from.includes(order.status)) return null;
  const next: Record<string, unknown> = { ...order };
  const patch = update.patch;
  if (patch) {
    // One pass over the patch: undefined means "leave as is"; values are copied, so the record never
    // shares objects with the caller (primitives are immutable and need no copy).
    for (const key of Object.keys(patch)) {
      const value = (patch as Record<string, unknown>)[key];
      if (value === undefined) continue;
      next[key] = isImmutable(value) ? value : structuredClone(value);
    }
  }
  next.amountRefunded = Math.max(order.amountRefunded, patch?.amountRefunded ?? 0);
  next.status = update.status ?? order.status;
  next.updatedAt = update.now ?? Date.now();
  return next as unknown as OrderRecord;
}

function isImmutable(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
