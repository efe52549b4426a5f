import type { VendorRecord, VendorState } from '../records.js';

/**
 * The vendor after Stripe reported `state` for its account (`completeOnboarding`, `account.updated`).
 * A disconnected vendor stays disconnected: a late `account.updated` must not bring it back. Returns
 * null when nothing changes.
 */
export function decideAccountState(
  vendor: VendorRecord,
  state: VendorState & { accountId?: string; connection?: VendorRecord['connection'] },
  now: number,
  options: { reconnect?: boolean } = {},
): VendorRecord | null {
  if (vendor.status === 'disconnected' && !options.reconnect) return null;
  const next: VendorRecord = {
    ...vendor,
    status: state.status,
    chargesEnabled: state.chargesEnabled,
    payoutsEnabled: state.payoutsEnabled,
    detailsSubmitted: state.detailsSubmitted,
    transfersCapability: state.transfersCapability,
    requirements: state.requirements,
    accountId: state.accountId ?? vendor.accountId,
    connection: state.connection ?? vendor.connection,
    updatedAt: now,
  };
  return next;
}

/**
 * The vendor after `account.application.deauthorized`: only the status changes; the rest is the last
 * state Stripe reported, kept for support. Null when it is disconnected already.
 */
export function decideDeauthorized(vendor: VendorRecord, now: number): VendorRecord | null {
  if (vendor.status === 'disconnected') return null;
  return { ...vendor, status: 'disconnected', updatedAt: now };
}
