import { type Context, callStripe } from '../context.js';
import { PAYOUT, type PayoutRecord } from '../core/records.js';
import { MarketplaceError } from '../errors.js';
import { listRecords } from '../services/records.js';
import { requireVendor } from '../services/vendors.js';

/** A vendor's Stripe balance, per currency, in minor units. */
export interface VendorBalance {
  readonly vendorId: string;
  readonly accountId: string;
  /** Funds that can be paid out now, per lower-case currency code (may be negative after reversals). */
  readonly available: Readonly<Record<string, number>>;
  /** Funds not available yet, per currency. */
  readonly pending: Readonly<Record<string, number>>;
}

function perCurrency(rows: readonly { amount: number; currency: string }[] | undefined): Readonly<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const row of rows ?? []) {
    if (!Number.isSafeInteger(row.amount)) {
      throw new MarketplaceError('STRIPE_ERROR', `Stripe answered balance.retrieve with a non-integer amount in ${row.currency}`);
    }
    const currency = row.currency.toLowerCase();
    totals[currency] = (totals[currency] ?? 0) + row.amount;
  }
  return Object.freeze(totals);
}

/**
 * The vendor's balance as Stripe has it now: `balance.retrieve` on its connected account (`stripeAccount`).
 * `VENDOR_NOT_FOUND` before any request when the vendor is not stored.
 */
export async function vendorBalance(ctx: Context, vendorId: string): Promise<VendorBalance> {
  const vendor = await requireVendor(ctx, vendorId);
  const balance = await callStripe('balance.retrieve', () =>
    ctx.stripe.balance.retrieve({}, { stripeAccount: vendor.accountId }),
  );
  return Object.freeze({
    vendorId: vendor.vendorId,
    accountId: vendor.accountId,
    available: perCurrency(balance.available),
    pending: perCurrency(balance.pending),
  });
}

/** The vendor's stored payouts (from `payout.*` events), newest first by Stripe's creation time. */
export function listPayouts(ctx: Context, options: { vendorId: string; limit?: number }): Promise<PayoutRecord[]> {
  return listRecords(ctx.storage, PAYOUT, { index: options.vendorId, limit: options.limit ?? 100 });
}
