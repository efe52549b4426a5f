import type Stripe from 'stripe';
import type { PayoutRecord, PayoutStatus, VendorRecord } from '../records.js';
import { PAYOUT_TRANSITIONS } from '../transitions.js';

/**
 * The payout record after a `payout.*` event (`created`, `updated`, `paid`, `failed`, `canceled`). Its status
 * moves only as `PAYOUT_TRANSITIONS` allows: `pending` -> `in_transit` -> `paid`, or `failed` / `canceled`, and
 * a `paid` payout can still become `failed` (Stripe: "Some payouts that fail might initially show as `paid`,
 * then change to `failed`"); a late `payout.created` or `payout.paid` never undoes a failure. Within a status,
 * Stripe's latest word on the arrival date and failure wins. Returns null when nothing changes.
 */
export function decidePayout(
  stored: PayoutRecord | null,
  vendor: Pick<VendorRecord, 'vendorId' | 'accountId'>,
  payout: Stripe.Payout,
  now: number,
): PayoutRecord | null {
  const status = payout.status as PayoutStatus;
  if (!(status in PAYOUT_TRANSITIONS)) return null;
  const fields = {
    status,
    arrivalDate: typeof payout.arrival_date === 'number' ? payout.arrival_date * 1000 : null,
    failureCode: payout.failure_code ?? null,
    failureMessage: payout.failure_message ?? null,
  };
  if (stored === null) {
    return {
      payoutId: payout.id,
      vendorId: vendor.vendorId,
      accountId: vendor.accountId,
      amount: payout.amount,
      currency: payout.currency,
      ...fields,
      createdAt: payout.created * 1000,
      updatedAt: now,
    };
  }
  if (stored.status !== status && !PAYOUT_TRANSITIONS[stored.status].includes(status)) return null;
  const next: PayoutRecord = { ...stored, ...fields, updatedAt: now };
  const changed =
    next.status !== stored.status ||
    next.arrivalDate !== stored.arrivalDate ||
    next.failureCode !== stored.failureCode ||
    next.failureMessage !== stored.failureMessage;
  return changed ? next : null;
}

/**
 * The vendor after one of its payouts is stored as `payout`: a failed payout is shown on the vendor
 * (`payoutFailed`) unless a newer failure is shown already or a payout created after it was paid; a paid
 * payout created after the shown failure clears it (the bank account works again). `newestPaidAt` is the
 * creation time of the vendor's newest paid payout, so a failure whose event arrives after a later
 * payout's success is not shown. Creation times are Stripe's, in whole seconds: a payout created in the
 * same second as the failure does not clear it. Returns null when nothing changes.
 */
export function decideVendorPayout(vendor: VendorRecord, payout: PayoutRecord, newestPaidAt: number | null): VendorRecord | null {
  const shown = vendor.payoutFailed ?? null;
  if (payout.status === 'failed') {
    if (newestPaidAt !== null && newestPaidAt > payout.createdAt) return null;
    if (shown && (shown.payoutCreatedAt > payout.createdAt || shown.payoutId === payout.payoutId)) {
      if (shown.payoutId !== payout.payoutId) return null;
      if (shown.failureCode === payout.failureCode && shown.failureMessage === payout.failureMessage) return null;
    }
    return {
      ...vendor,
      payoutFailed: {
        payoutId: payout.payoutId,
        amount: payout.amount,
        currency: payout.currency,
        failureCode: payout.failureCode,
        failureMessage: payout.failureMessage,
        payoutCreatedAt: payout.createdAt,
      },
      updatedAt: payout.updatedAt,
    };
  }
  if (payout.status === 'paid' && shown && payout.createdAt > shown.payoutCreatedAt) {
    return { ...vendor, payoutFailed: null, updatedAt: payout.updatedAt };
  }
  return null;
}
