import type { OrderRecord, OrderStatus, TransferRecord } from './records.js';

/**
 * The transfers of separate charges and transfers (a cart): one per vendor, created after the payment
 * succeeded, each claimed by one process at a time with a version-guarded write. Pure rules only: the
 * services make the Stripe calls and the writes.
 *
 * A transfer's life: `pending` (due) -> claimed (`claimedUntil` in the future: one process is calling
 * Stripe) -> `paid` (Stripe created it), or back to `pending` with a backoff after a failure, or `held`
 * while the vendor's account cannot receive transfers, until it can (`held` -> `pending`), or `failed` when it
 * must never be made (its cart was refunded in full before it was sent).
 */

/** How long one process may hold a transfer while it calls Stripe, before another may take it over. */
export const TRANSFER_CLAIM_MS = 60_000;

/** The `transfer_group` of a cart's PaymentIntent and transfers: the order id. */
export function cartTransferGroup(orderId: string): string {
  return orderId;
}

/** The platform's id of the transfer of `vendorId`'s share of `orderId`. */
export function transferIdOf(orderId: string, vendorId: string): string {
  return `${orderId}:${vendorId}`;
}

/** The idempotency key of that transfer: every process and every retry sends the same one. */
export function transferIdempotencyKey(orderId: string, vendorId: string): string {
  return `transfer:${orderId}:${vendorId}`;
}

/** Order statuses in which the payment has succeeded and the vendors are owed their transfers. */
const PAID: readonly OrderStatus[] = ['succeeded', 'partially_refunded'];

/**
 * The transfers a paid cart owes: one per item (a vendor appears once per cart) for its `vendorAmount`.
 * An item whose fee is its whole amount owes nothing and gets no transfer (Stripe refuses a transfer of 0).
 * Empty for an order that is not a cart or not paid.
 */
export function plannedTransfers(order: OrderRecord, now: number): TransferRecord[] {
  if (order.chargeType !== 'separate' || !PAID.includes(order.status)) return [];
  return order.items
    .filter((item) => item.vendorAmount > 0)
    .map((item) => ({
      transferId: transferIdOf(order.orderId, item.vendorId),
      orderId: order.orderId,
      vendorId: item.vendorId,
      accountId: item.accountId,
      amount: item.vendorAmount,
      currency: order.currency,
      status: 'pending' as const,
      stripeTransferId: null,
      amountReversed: 0,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      transferGroup: cartTransferGroup(order.orderId),
      attempts: 0,
      claimedUntil: null,
      nextAttemptAt: null,
    }));
}

/** True when the transfer is due now: pending, not held by a live claim, and past its backoff. */
export function isDue(transfer: TransferRecord, now: number): boolean {
  return transfer.status === 'pending' && (transfer.claimedUntil ?? 0) <= now && (transfer.nextAttemptAt ?? 0) <= now;
}

/** The transfer claimed by the caller until `now + leaseMs`, or null when it is not due (another process holds it, or it is done). */
export function claimTransfer(transfer: TransferRecord, now: number, leaseMs = TRANSFER_CLAIM_MS): TransferRecord | null {
  if (!isDue(transfer, now)) return null;
  return { ...transfer, attempts: (transfer.attempts ?? 0) + 1, claimedUntil: now + leaseMs, updatedAt: now };
}

/** Stripe created the transfer: `paid`, with its id. Null when that is already recorded. */
export function transferCreated(transfer: TransferRecord, stripeTransferId: string, now: number): TransferRecord | null {
  if (transfer.status === 'paid' || transfer.status === 'reversed') return null;
  return {
    ...transfer,
    status: 'paid',
    stripeTransferId,
    claimedUntil: null,
    nextAttemptAt: null,
    lastError: null,
    updatedAt: now,
  };
}

/** The vendor's account cannot receive transfers now: `held` until it can. Null unless the transfer is pending. */
export function holdTransfer(transfer: TransferRecord, reason: string, now: number): TransferRecord | null {
  if (transfer.status !== 'pending') return null;
  return { ...transfer, status: 'held', claimedUntil: null, nextAttemptAt: null, lastError: reason, updatedAt: now };
}

/** The vendor's account can receive transfers again: `held` -> `pending`, due at once. Null unless held. */
export function releaseTransfer(transfer: TransferRecord, now: number): TransferRecord | null {
  if (transfer.status !== 'held') return null;
  return { ...transfer, status: 'pending', claimedUntil: null, nextAttemptAt: null, updatedAt: now };
}

/** The wait before the next attempt after `attempts` failed ones: 2^attempts seconds, at most an hour. */
export function transferBackoffMs(attempts: number): number {
  return Math.min(3_600_000, 1000 * 2 ** Math.min(Math.max(attempts, 0), 12));
}

/** An attempt failed: back to due after a backoff, with the error. Null unless pending. */
export function transferAttemptFailed(transfer: TransferRecord, error: string, now: number): TransferRecord | null {
  if (transfer.status !== 'pending') return null;
  const nextAttemptAt = now + transferBackoffMs(transfer.attempts ?? 0);
  return { ...transfer, claimedUntil: null, nextAttemptAt, lastError: error, updatedAt: now };
}

/**
 * Why a transfer not made yet must never be made, or null when it is still owed: the customer got the whole charge back
 * (the cart was refunded in full, in the Dashboard or by a refund made when the transfer was not there to reverse), so
 * there is nothing left to pay the vendor from.
 */
export function transferNoLongerOwed(order: OrderRecord | null): string | null {
  if (order && order.status === 'refunded') return `order "${order.orderId}" was refunded in full before the transfer was made`;
  return null;
}

/** The transfer will never be made: `failed`, with the reason. Null unless it is pending or held (not made). */
export function cancelTransfer(transfer: TransferRecord, reason: string, now: number): TransferRecord | null {
  if (transfer.status !== 'pending' && transfer.status !== 'held') return null;
  if (transfer.stripeTransferId) return null;
  return { ...transfer, status: 'failed', claimedUntil: null, nextAttemptAt: null, lastError: reason, updatedAt: now };
}
