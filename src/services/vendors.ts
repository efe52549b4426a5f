import type Stripe from 'stripe';
import { type Context, callStripe } from '../context.js';
import { decideAccountState, decideDeauthorized } from '../core/projectors/vendor.js';
import { VENDOR, type VendorRecord } from '../core/records.js';
import { canReceiveTransfers, vendorStateFromAccount } from '../core/vendor-status.js';
import { MarketplaceError } from '../errors.js';
import type { StoredRecord } from '../storage/types.js';
import { getStored, insertRecord, listRecords, mutateRecord, resolveStored } from './records.js';

/** The vendors service: every flow reads and writes vendors through it. */

export async function getVendor(ctx: Context, vendorId: string): Promise<VendorRecord | null> {
  return (await getStored(ctx.storage, VENDOR, vendorId))?.data ?? null;
}

/** The vendor whose connected account is `accountId` now, as stored (with its version), or null. */
export async function vendorByAccount(ctx: Context, accountId: string): Promise<StoredRecord<VendorRecord> | null> {
  const stored = await resolveStored(ctx.storage, VENDOR, accountId);
  return stored && stored.data.accountId === accountId ? stored : null;
}

export async function listVendors(
  ctx: Context,
  options: { statuses?: readonly string[]; limit?: number },
): Promise<VendorRecord[]> {
  return listRecords(ctx.storage, VENDOR, { statuses: options.statuses, limit: options.limit ?? 100 });
}

export async function requireVendor(ctx: Context, vendorId: string): Promise<VendorRecord> {
  const vendor = await getVendor(ctx, vendorId);
  if (!vendor) {
    throw new MarketplaceError('VENDOR_NOT_FOUND', `no vendor "${vendorId}" is stored; call onboardVendor first`, {
      details: { vendorId },
    });
  }
  return vendor;
}

/** Stores a new vendor for `account`, once: under a race every caller receives the stored vendor. */
export async function insertVendor(
  ctx: Context,
  vendorId: string,
  account: Stripe.Account,
  connection: VendorRecord['connection'],
): Promise<VendorRecord> {
  const now = ctx.now();
  const record: VendorRecord = {
    vendorId,
    accountId: account.id,
    connection,
    ...vendorStateFromAccount(account),
    createdAt: now,
    updatedAt: now,
  };
  return (await insertRecord(ctx.storage, VENDOR, record)).record.data;
}

/**
 * Stores the state mapped from `account` for `vendorId` (`completeOnboarding`, `account.updated`). A
 * disconnected vendor stays disconnected unless `reconnect` is set. When the vendor's account is another
 * one than `account` (it was replaced, or this is a new OAuth connection), nothing is stored unless
 * `replaceAccount` is set: the caller compares the returned vendor's `accountId`.
 */
export async function storeAccountState(
  ctx: Context,
  vendorId: string,
  account: Stripe.Account,
  extra: { connection?: VendorRecord['connection']; reconnect?: boolean; replaceAccount?: boolean } = {},
): Promise<VendorRecord> {
  const state = { ...vendorStateFromAccount(account), accountId: account.id, connection: extra.connection };
  const now = ctx.now();
  const result = await mutateRecord(ctx.storage, VENDOR, vendorId, (vendor) =>
    vendor.accountId !== account.id && !extra.replaceAccount
      ? null
      : decideAccountState(vendor, state, now, { reconnect: extra.reconnect }),
  );
  if (!result.record)
    throw new MarketplaceError('VENDOR_NOT_FOUND', `no vendor "${vendorId}" is stored`, { details: { vendorId } });
  return result.record;
}

/**
 * Re-reads the vendor's account from Stripe and stores the mapped state. Re-reads of one account run one
 * at a time within this Marketplace, so a slow `accounts.retrieve` that started first cannot store its
 * older answer over a newer one.
 */
export function refreshVendor(ctx: Context, vendor: VendorRecord, options: { reconnect?: boolean } = {}): Promise<VendorRecord> {
  return ctx.accountLocks.run(vendor.accountId, async () => {
    const account = await callStripe('accounts.retrieve', () => ctx.stripe.accounts.retrieve(vendor.accountId));
    return storeAccountState(ctx, vendor.vendorId, account, options);
  });
}

/** The vendor, when its account can receive transfers now; a stale "not ready" is re-checked with Stripe first. */
export async function requireReadyVendor(ctx: Context, vendorId: string): Promise<VendorRecord> {
  let vendor = await requireVendor(ctx, vendorId);
  if (!canReceiveTransfers(vendor)) vendor = await refreshVendor(ctx, vendor);
  if (!canReceiveTransfers(vendor)) {
    throw new MarketplaceError(
      'VENDOR_NOT_READY',
      `vendor "${vendorId}" cannot receive transfers yet (status ${vendor.status}, transfers capability ${vendor.transfersCapability})`,
      { details: { vendorId, status: vendor.status, transfersCapability: vendor.transfersCapability } },
    );
  }
  return vendor;
}

/** Marks the vendor disconnected (`account.application.deauthorized`); returns the vendor as it stands. */
export async function disconnectVendor(ctx: Context, stored: StoredRecord<VendorRecord>): Promise<VendorRecord | null> {
  const now = ctx.now();
  return (await mutateRecord(ctx.storage, VENDOR, stored.id, (vendor) => decideDeauthorized(vendor, now), stored)).record;
}
