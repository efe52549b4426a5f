import type { OrderRecord, OrderUpdate } from './types.js';

/**
 * The reference semantics of `MarketplaceStorage.updateOrder`, for adapters that hold records in
 * JavaScript (an adapter backed by a database expresses the same rule in one statement).
 * Returns the new record, or null when `update.from` does not admit the current status.
 */
export function applyOrderUpdate(order: OrderRecord, update: OrderUpdate): OrderRecord | null {
  if (update.from && !update.from.includes(order.status)) return null;
  const patch = Object.fromEntries(Object.entries(update.patch ?? {}).filter(([, value]) => value !== undefined));
  return {
    ...order,
    ...structuredClone(patch),
    amountRefunded: Math.max(order.amountRefunded, update.patch?.amountRefunded ?? 0),
    status: update.status ?? order.status,
    updatedAt: update.now ?? Date.now(),
  };
}
