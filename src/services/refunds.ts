import type Stripe from 'stripe';
import { type Context, callStripe } from '../context.js';
import type { OrderRecord, RefundMovement, RefundRecord } from '../core/records.js';
import { REFUND, TRANSFER } from '../core/records.js';
import { getStored, listRecords, mutateRecord } from './records.js';

/** The refunds service: refund records, and the money a refund moves between the platform and its vendors. */

/** The stored id of a refund record: `<orderId>:<refundId>`. */
export const refundRecordId = (orderId: string, refundId: string) => `${orderId}:${refundId}`;

/** The idempotency key of a refund, and of each of its steps: `refund:<orderId>:<refundId>[:<step>]`. */
export function refundIdempotencyKey(orderId: string, refundId: string, step?: string): string {
  return `refund:${orderId}:${refundId}${step ? `:${step}` : ''}`;
}

export async function getRefund(ctx: Context, orderId: string, refundId: string): Promise<RefundRecord | null> {
  return (await getStored(ctx.storage, REFUND, refundRecordId(orderId, refundId)))?.data ?? null;
}

export function listRefunds(ctx: Context, orderId: string, limit = 100): Promise<RefundRecord[]> {
  return listRecords(ctx.storage, REFUND, { index: orderId, limit });
}

export function mutateRefund(ctx: Context, record: RefundRecord, change: (current: RefundRecord) => RefundRecord | null) {
  return mutateRecord(ctx.storage, REFUND, refundRecordId(record.orderId, record.refundId), change);
}

const refundMetadata = (record: RefundRecord) => ({ order_id: record.orderId, refund_id: record.refundId });

const isOwn = (record: RefundRecord) => (m: { metadata?: Stripe.Metadata | null }) =>
  m.metadata?.refund_id === record.refundId && m.metadata?.order_id === record.orderId;

/** The reversal of `transferId` this refund made, by the metadata the library puts on it, or null. */
async function ownReversal(ctx: Context, transferId: string, record: RefundRecord): Promise<Stripe.TransferReversal | null> {
  const page = await callStripe('transfers.listReversals', () => ctx.stripe.transfers.listReversals(transferId, { limit: 100 }));
  return page.data.find(isOwn(record)) ?? null;
}

/** The refund of the application fee `feeId` this refund made, by its metadata, or null. */
async function ownFeeRefund(ctx: Context, feeId: string, record: RefundRecord): Promise<Stripe.FeeRefund | null> {
  const page = await callStripe('applicationFees.listRefunds', () =>
    ctx.stripe.applicationFees.listRefunds(feeId, { limit: 100 }),
  );
  return page.data.find(isOwn(record)) ?? null;
}

/**
 * Moves what the refund policy decided, on a destination charge: one transfer reversal of what the vendor bears plus
 * the fee returned (the reversal takes back the gross amount from the connected account), and one application fee
 * refund of the fee returned (which the platform pays back to the connected account). Each with its own idempotency
 * key, so a retry after a crash makes each once. Returns the movements made (or found) to record.
 */
export async function moveRefundMoney(
  ctx: Context,
  order: OrderRecord,
  record: RefundRecord,
  charge: Stripe.Charge,
): Promise<{ transferReversals: RefundMovement[]; feeRefunds: RefundMovement[] }> {
  const transferReversals: RefundMovement[] = [...(record.transferReversals ?? [])];
  const feeRefunds: RefundMovement[] = [...(record.feeRefunds ?? [])];
  if (order.chargeType === 'separate') return { transferReversals: await reverseCartTransfers(ctx, record), feeRefunds };
  const part = record.parts?.[0];
  if (!part || order.chargeType !== 'destination') return { transferReversals, feeRefunds };
  // A fee already refunded in full (by a refund that failed afterwards) cannot be refunded again: the vendor then
  // keeps that part of the reversal instead, which nets the same for the vendor and the platform.
  let feeBack = part.feeReturned;
  const transferId = typeof charge.transfer === 'string' ? charge.transfer : (charge.transfer?.id ?? null);
  const feeId = typeof charge.application_fee === 'string' ? charge.application_fee : (charge.application_fee?.id ?? null);
  if (feeBack > 0 && feeRefunds.length === 0 && transferReversals.length === 0 && feeId) {
    const fee = await callStripe('applicationFees.retrieve', () => ctx.stripe.applicationFees.retrieve(feeId));
    // A fee refund this refund made when its answer was lost counts as this refund's, not as refunded before it.
    const own = await ownFeeRefund(ctx, feeId, record);
    feeBack = Math.min(feeBack, fee.amount - fee.amount_refunded + (own?.amount ?? 0));
    if (own) feeRefunds.push({ vendorId: part.vendorId, id: own.id, amount: own.amount });
  } else if (feeRefunds.length > 0 || transferReversals.length > 0) {
    feeBack = Math.min(feeBack, transferReversals.reduce((s, m) => s + m.amount, 0) - part.vendorBears);
  }
  const reversal = part.vendorBears + feeBack;
  if (reversal > 0 && transferReversals.length === 0) {
    if (!transferId) throw new Error(`charge ${charge.id} has no transfer to reverse`);
    // The charge's transfer first; then the transfers that gave vendors back what failed refunds took.
    const restored = (await listRefunds(ctx, order.orderId))
      .filter((r) => r.refundId !== record.refundId)
      .flatMap((r) => (r.restores ?? []).filter((m) => m.vendorId === part.vendorId).map((m) => m.id));
    let left = reversal;
    for (const [i, source] of [transferId, ...restored].entries()) {
      if (left === 0) break;
      // A reversal this refund made when its answer was lost (Stripe may forget the key after 24 hours) is not made again.
      const own = await ownReversal(ctx, source, record);
      if (own) {
        transferReversals.push({ vendorId: part.vendorId, id: own.id, amount: own.amount });
        left -= Math.min(left, own.amount);
        continue;
      }
      const transfer = await callStripe('transfers.retrieve', () => ctx.stripe.transfers.retrieve(source));
      const amount = Math.min(left, transfer.amount - transfer.amount_reversed);
      if (amount <= 0) continue;
      const made = await callStripe('transfers.createReversal', () =>
        ctx.stripe.transfers.createReversal(
          source,
          { amount, metadata: refundMetadata(record) },
          { idempotencyKey: refundIdempotencyKey(record.orderId, record.refundId, i === 0 ? 'reversal' : `reversal:${i}`) },
        ),
      );
      transferReversals.push({ vendorId: part.vendorId, id: made.id, amount: made.amount });
      left -= made.amount;
    }
    if (left > 0) {
      // Someone else reversed the transfer (a refund made in the Dashboard with reverse_transfer): the platform bears it.
      ctx.logger.warn?.(`refund ${record.refundId} of order ${record.orderId}: ${left} could not be reversed from the vendor`, {
        orderId: record.orderId,
        refundId: record.refundId,
        notReversed: left,
      });
    }
  }
  if (feeBack > 0 && feeRefunds.length === 0) {
    if (!feeId) throw new Error(`charge ${charge.id} has no application fee to refund`);
    const made = await callStripe('applicationFees.createRefund', () =>
      ctx.stripe.applicationFees.createRefund(
        feeId,
        { amount: feeBack, metadata: refundMetadata(record) },
        { idempotencyKey: refundIdempotencyKey(record.orderId, record.refundId, 'fee') },
      ),
    );
    feeRefunds.push({ vendorId: part.vendorId, id: made.id, amount: made.amount });
  }
  return { transferReversals, feeRefunds };
}

/**
 * A cart's refund (separate charges and transfers): Stripe's refund leaves the transfers alone, so each vendor's
 * transfer is reversed by what the policy says that vendor bears, one reversal per vendor with its own idempotency
 * key (`refund:<orderId>:<refundId>:reversal:<vendorId>`). There is no application fee on a cart: the fee the
 * policy "returns" is what the platform bears of the part. A reversal made by an earlier attempt whose answer was
 * lost is found by its metadata first. Vendors already recorded are skipped, so a retry makes only what is missing.
 */
async function reverseCartTransfers(ctx: Context, record: RefundRecord): Promise<RefundMovement[]> {
  const done: RefundMovement[] = [...(record.transferReversals ?? [])];
  const transfers = await listRecords(ctx.storage, TRANSFER, { index: record.orderId, limit: 1000 });
  for (const part of record.parts ?? []) {
    if (part.vendorBears <= 0 || done.some((m) => m.vendorId === part.vendorId)) continue;
    const transfer = transfers.find((t) => t.vendorId === part.vendorId && t.stripeTransferId);
    if (!transfer?.stripeTransferId) {
      throw new Error(`the transfer of vendor "${part.vendorId}" for cart "${record.orderId}" is not made yet`);
    }
    const source = transfer.stripeTransferId;
    const key = refundIdempotencyKey(record.orderId, record.refundId, `reversal:${part.vendorId}`);
    const listed = await callStripe('transfers.listReversals', () => ctx.stripe.transfers.listReversals(source, { limit: 100 }));
    const made =
      listed.data.find((r) => r.metadata?.refund_id === record.refundId) ??
      (await callStripe('transfers.createReversal', () =>
        ctx.stripe.transfers.createReversal(
          source,
          { amount: part.vendorBears, metadata: refundMetadata(record) },
          { idempotencyKey: key },
        ),
      ));
    done.push({ vendorId: part.vendorId, id: made.id, amount: made.amount });
    await recordReversed(ctx, transfer.transferId, source);
  }
  return done;
}

/** Copies what Stripe says is reversed of a transfer onto its record (`reversed` once it is reversed in full). */
async function recordReversed(ctx: Context, transferId: string, stripeTransferId: string): Promise<void> {
  const now = ctx.now();
  const transfer = await callStripe('transfers.retrieve', () => ctx.stripe.transfers.retrieve(stripeTransferId));
  await mutateRecord(ctx.storage, TRANSFER, transferId, (current) => {
    if (current.amountReversed >= transfer.amount_reversed) return null;
    const full = transfer.amount_reversed >= current.amount;
    return { ...current, amountReversed: transfer.amount_reversed, status: full ? 'reversed' : current.status, updatedAt: now };
  });
}

/**
 * After a refund failed or was canceled: gives each vendor back what they bore (the reversal minus the fee returned)
 * with one transfer each, keyed by the refund, so the platform and the vendor stand as before the refund.
 */
export async function restoreVendors(ctx: Context, order: OrderRecord, record: RefundRecord): Promise<RefundMovement[]> {
  if ((record.restores ?? []).length > 0) return [...(record.restores ?? [])];
  const restores: RefundMovement[] = [];
  const vendors = [...new Set((record.transferReversals ?? []).map((m) => m.vendorId))];
  for (const [i, vendorId] of vendors.entries()) {
    const sum = (list: readonly RefundMovement[] | undefined) =>
      (list ?? []).filter((m) => m.vendorId === vendorId).reduce((s, m) => s + m.amount, 0);
    const amount = sum(record.transferReversals) - sum(record.feeRefunds);
    const item = order.items.find((it) => it.vendorId === vendorId);
    if (amount <= 0 || !item) continue;
    // The transfer group names this refund's restores, so one made when its answer was lost (Stripe may forget the
    // idempotency key after 24 hours) is found again instead of paying the vendor twice.
    const group = refundIdempotencyKey(record.orderId, record.refundId, 'restore');
    const earlier = await callStripe('transfers.list', () =>
      ctx.stripe.transfers.list({ destination: item.accountId, transfer_group: group, limit: 100 }),
    );
    const made =
      earlier.data.find((t) => t.metadata?.vendor_id === vendorId) ??
      (await callStripe('transfers.create', () =>
        ctx.stripe.transfers.create(
          {
            amount,
            currency: order.currency,
            destination: item.accountId,
            transfer_group: group,
            metadata: { ...refundMetadata(record), vendor_id: vendorId },
          },
          { idempotencyKey: refundIdempotencyKey(record.orderId, record.refundId, `restore:${i}`) },
        ),
      ));
    restores.push({ vendorId, id: made.id, amount: made.amount });
  }
  return restores;
}
