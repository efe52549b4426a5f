import type Stripe from 'stripe';
import { type Context, callStripe } from '../context.js';
import { ORDER, type OrderRecord, TRANSFER, type TransferRecord, type VendorRecord } from '../core/records.js';
import {
  cancelTransfer,
  claimTransfer,
  holdTransfer,
  isDue,
  plannedTransfers,
  releaseTransfer,
  TRANSFER_CLAIM_MS,
  transferAttemptFailed,
  transferCreated,
  transferIdempotencyKey,
  transferIdOf,
  transferNoLongerOwed,
} from '../core/transfers.js';
import { canReceiveTransfers } from '../core/vendor-status.js';
import { isMarketplaceError } from '../errors.js';
import { getStored, insertRecord, listRecords, mutateRecord } from './records.js';
import { getVendor, refreshVendor } from './vendors.js';

/**
 * The transfers service: one transfer per vendor of a paid cart, each created at Stripe exactly once.
 *
 * - A transfer record is written (as `pending`) with the payment's records, before any Stripe call.
 * - A process sends it only after claiming it with a version-guarded write (`claimedUntil`), so two
 *   processes do not both call Stripe for it at once; both would send the same idempotency key anyway
 *   (`transfer:<orderId>:<vendorId>`), so Stripe creates one transfer.
 * - A process that dies between Stripe's answer and its write leaves the claim to run out; the next
 *   claim sends the same key and records the transfer Stripe already made. Past Stripe's idempotency
 *   window, a retry first looks the transfer up by its `transfer_group` and `metadata.transfer_id`.
 * - Stripe calls never run inside a storage transaction: these functions use `ctx.storage` directly.
 */

/** What one settlement run did. */
export interface TransferSummary {
  /** Transfers created at Stripe (or found already created) and recorded `paid`. */
  paid: number;
  /** Transfers held because the vendor's account cannot receive transfers now. */
  held: number;
  /** Held transfers released because the vendor's account can receive transfers now. */
  released: number;
  /** Attempts that failed; each is retried after a backoff. */
  failed: number;
  /** Transfers another process holds or that wait for their backoff. */
  skipped: number;
  /** Transfers that will never be made (`failed`): their cart was refunded in full before they were sent. */
  canceled: number;
}

export function emptyTransferSummary(): TransferSummary {
  return { paid: 0, held: 0, released: 0, failed: 0, skipped: 0, canceled: 0 };
}

/** Stores the transfers a paid cart owes (once: a transfer already stored is left as it is). Storage only. */
export async function planTransfers(ctx: Context, order: OrderRecord): Promise<TransferRecord[]> {
  const planned = plannedTransfers(order, ctx.now());
  const stored: TransferRecord[] = [];
  for (const transfer of planned) stored.push((await insertRecord(ctx.storage, TRANSFER, transfer)).record.data);
  return stored;
}

/** The transfers of one order. */
export function transfersOfOrder(ctx: Context, orderId: string): Promise<TransferRecord[]> {
  return listRecords(ctx.storage, TRANSFER, { index: orderId, limit: 1000 });
}

/** What one settlement run read once and reuses: each vendor as stored, and each order's charge read from Stripe. */
interface SettleRun {
  readonly vendors: Map<string, VendorRecord | null>;
  readonly charges: Map<string, string | null>;
}

function newRun(vendors: readonly VendorRecord[] = []): SettleRun {
  return { vendors: new Map(vendors.map((v) => [v.vendorId, v])), charges: new Map() };
}

/**
 * The charge a cart's transfers come from: the order's, or the PaymentIntent's latest charge read from Stripe (a
 * hosted cart's order may not know it), once per order and run.
 */
async function sourceCharge(ctx: Context, order: OrderRecord, run: SettleRun): Promise<string | null> {
  if (order.chargeId) return order.chargeId;
  const id = order.paymentIntentId;
  if (!id) return null;
  if (run.charges.has(order.orderId)) return run.charges.get(order.orderId) ?? null;
  const intent = await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id));
  const latest = intent.latest_charge;
  const charge = typeof latest === 'string' ? latest : (latest?.id ?? null);
  run.charges.set(order.orderId, charge);
  return charge;
}

/** A transfer Stripe already made for `transfer` (a retry after the idempotency key expired), or null. */
async function findCreated(ctx: Context, transfer: TransferRecord): Promise<Stripe.Transfer | null> {
  const group = transfer.transferGroup;
  if (!group) return null;
  const list = await callStripe('transfers.list', () =>
    ctx.stripe.transfers.list({ transfer_group: group, destination: transfer.accountId, limit: 100 }),
  );
  return list.data.find((t) => t.metadata?.transfer_id === transfer.transferId) ?? null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Stripe's answer when the destination lacks an active `transfers` capability. */
function cannotReceive(error: unknown): boolean {
  return isMarketplaceError(error, 'STRIPE_ERROR') && error.stripeCode === 'insufficient_capabilities_for_transfer';
}

type Outcome = keyof TransferSummary;

/**
 * Sends one transfer if it is due: claims it, checks the vendor, creates it at Stripe with its idempotency
 * key, and records the answer. Never throws for a Stripe refusal: the transfer is held or retried later.
 */
export async function sendTransfer(ctx: Context, transferId: string, run: SettleRun = newRun()): Promise<Outcome> {
  const now = ctx.now();
  const claimed = await mutateRecord(ctx.storage, TRANSFER, transferId, (t) => claimTransfer(t, now, TRANSFER_CLAIM_MS));
  if (!claimed.applied || !claimed.record) return 'skipped';
  const transfer = claimed.record;
  const write = (change: (t: TransferRecord) => TransferRecord | null) => mutateRecord(ctx.storage, TRANSFER, transferId, change);
  const order = (await getStored(ctx.storage, ORDER, transfer.orderId))?.data ?? null;
  const notOwed = transferNoLongerOwed(order);
  if (notOwed) {
    // An earlier attempt may have made it at Stripe and lost the answer: then it is recorded, not canceled.
    let made: Stripe.Transfer | null = null;
    try {
      made = (transfer.attempts ?? 0) > 1 ? await findCreated(ctx, transfer) : null;
    } catch (error) {
      await write((t) => transferAttemptFailed(t, describe(error), ctx.now()));
      return 'failed';
    }
    if (made) {
      const id = made.id;
      await write((t) => transferCreated(t, id, ctx.now()));
      return 'paid';
    }
    await write((t) => cancelTransfer(t, notOwed, ctx.now()));
    return 'canceled';
  }

  let vendor = run.vendors.get(transfer.vendorId);
  if (vendor === undefined) {
    vendor = await getVendor(ctx, transfer.vendorId);
    run.vendors.set(transfer.vendorId, vendor);
  }
  if (!vendor || vendor.accountId !== transfer.accountId || !canReceiveTransfers(vendor)) {
    const reason = !vendor
      ? `vendor "${transfer.vendorId}" is not stored`
      : vendor.accountId !== transfer.accountId
        ? `vendor "${transfer.vendorId}" now has another connected account than ${transfer.accountId}`
        : `vendor "${transfer.vendorId}" cannot receive transfers (status ${vendor.status}, transfers capability ${vendor.transfersCapability})`;
    await write((t) => holdTransfer(t, reason, ctx.now()));
    return 'held';
  }

  try {
    const charge = order ? await sourceCharge(ctx, order, run) : null;
    if (!charge) throw new Error(`the charge of order "${transfer.orderId}" is not known yet`);
    let created = (transfer.attempts ?? 0) > 1 ? await findCreated(ctx, transfer) : null;
    if (!created) {
      const params: Stripe.TransferCreateParams = {
        amount: transfer.amount,
        currency: transfer.currency,
        destination: transfer.accountId,
        source_transaction: charge,
        metadata: { order_id: transfer.orderId, vendor_id: transfer.vendorId, transfer_id: transfer.transferId },
      };
      if (transfer.transferGroup) params.transfer_group = transfer.transferGroup;
      created = await callStripe('transfers.create', () =>
        ctx.stripe.transfers.create(params, { idempotencyKey: transferIdempotencyKey(transfer.orderId, transfer.vendorId) }),
      );
    }
    const id = created.id;
    await write((t) => transferCreated(t, id, ctx.now()));
    return 'paid';
  } catch (error) {
    if (cannotReceive(error)) {
      await write((t) => holdTransfer(t, describe(error), ctx.now()));
      return 'held';
    }
    if (!isMarketplaceError(error, 'STRIPE_ERROR') && isMarketplaceError(error)) throw error;
    ctx.logger.warn?.('a transfer failed; it is retried after a backoff', { transferId, error: describe(error) });
    await write((t) => transferAttemptFailed(t, describe(error), ctx.now()));
    return 'failed';
  }
}

/** Sends the due transfers of a paid cart, in the order of its items (after its payment's records are written). */
export async function sendOrderTransfers(ctx: Context, order: OrderRecord): Promise<TransferSummary> {
  const summary = emptyTransferSummary();
  const run = newRun();
  const stored = new Map((await transfersOfOrder(ctx, order.orderId)).map((t) => [t.transferId, t]));
  for (const item of order.items) {
    const transfer = stored.get(transferIdOf(order.orderId, item.vendorId));
    if (transfer?.status !== 'pending') continue;
    summary[await sendTransfer(ctx, transfer.transferId, run)]++;
  }
  return summary;
}

/**
 * Releases the held transfers of `vendorId` (at most `limit`, however many other vendors' transfers are held) when its
 * account can receive transfers now, and sends them.
 */
export async function releaseHeldTransfers(ctx: Context, vendor: VendorRecord, limit = 1000): Promise<TransferSummary> {
  const summary = emptyTransferSummary();
  if (!canReceiveTransfers(vendor)) return summary;
  const run = newRun([vendor]);
  let count = 0;
  for await (const transfer of transfersIn(ctx, 'held')) {
    if (transfer.vendorId !== vendor.vendorId || transfer.accountId !== vendor.accountId) continue;
    if (count++ >= limit) break;
    const released = await mutateRecord(ctx.storage, TRANSFER, transfer.transferId, (t) => releaseTransfer(t, ctx.now()));
    if (released.applied) summary.released++;
    summary[await sendTransfer(ctx, transfer.transferId, run)]++;
  }
  return summary;
}

export interface SettleTransfersOptions {
  /**
   * At most this many transfers of each status (`pending`, `held`) are sent or released. Default 100. Transfers
   * that are not due (claimed, in their backoff, or held for a vendor who still cannot receive transfers) do not
   * count: they are passed over, so they never hide older transfers that are due.
   */
  limit?: number;
}

/** How many transfer records one storage read returns while `settleTransfers` walks a status. */
const SCAN_PAGE = 1000;

/**
 * The transfers in `status`, newest first, page after page (a page is read when the previous one is used up). Transfers
 * of one cart share their `createdAt`: each page starts at the last one's time again, and those already seen are skipped
 * (should more than a page share one time, the rest of them are passed over until the next run).
 */
async function* transfersIn(ctx: Context, status: 'pending' | 'held'): AsyncGenerator<TransferRecord> {
  const seen = new Set<string>();
  let createdBefore: number | undefined;
  for (;;) {
    const page = await listRecords(ctx.storage, TRANSFER, {
      statuses: [status],
      limit: SCAN_PAGE,
      ...(createdBefore === undefined ? {} : { createdBefore }),
    });
    let fresh = 0;
    for (const transfer of page) {
      if (seen.has(transfer.transferId)) continue;
      seen.add(transfer.transferId);
      fresh++;
      yield transfer;
    }
    const last = page[page.length - 1];
    if (page.length < SCAN_PAGE || !last) return;
    // A page of nothing new: more than a page share the last time; move past that time so the scan goes on.
    const next = fresh === 0 ? last.createdAt : last.createdAt + 1;
    if (createdBefore !== undefined && next >= createdBefore) return;
    createdBefore = next;
  }
}

/**
 * Sends every transfer that is due (pending, not claimed by a live process, past its backoff), and
 * releases and sends held transfers whose vendor can receive transfers now. For a cron job or a worker.
 */
export async function settleTransfers(ctx: Context, options: SettleTransfersOptions = {}): Promise<TransferSummary> {
  const limit = options.limit ?? 100;
  const summary = emptyTransferSummary();
  const run = newRun();
  const now = ctx.now();
  let sent = 0;
  for await (const transfer of transfersIn(ctx, 'pending')) {
    if (sent >= limit) break;
    if (!isDue(transfer, now)) {
      summary.skipped++;
      continue;
    }
    sent++;
    summary[await sendTransfer(ctx, transfer.transferId, run)]++;
  }
  let released = 0;
  for await (const transfer of transfersIn(ctx, 'held')) {
    if (released >= limit) break;
    let vendor = run.vendors.get(transfer.vendorId);
    if (vendor === undefined) {
      vendor = await getVendor(ctx, transfer.vendorId);
      // A missed account.updated must not hold a transfer for ever: a vendor stored as not ready is re-read, once a run.
      if (vendor && !canReceiveTransfers(vendor) && vendor.status !== 'disconnected') vendor = await refreshVendor(ctx, vendor);
      run.vendors.set(transfer.vendorId, vendor);
    }
    if (!vendor || vendor.accountId !== transfer.accountId || !canReceiveTransfers(vendor)) {
      summary.skipped++;
      continue;
    }
    released++;
    const release = await mutateRecord(ctx.storage, TRANSFER, transfer.transferId, (t) => releaseTransfer(t, ctx.now()));
    if (release.applied) summary.released++;
    summary[await sendTransfer(ctx, transfer.transferId, run)]++;
  }
  return summary;
}
