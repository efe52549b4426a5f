import type { OrderRecord, VendorRecord, VendorState } from '../../storage/types.js';

/** A fixed epoch for the suite's clocks (2026-01-01T00:00:00Z), so records are reproducible. */
export const T0 = 1_767_225_600_000;

export function vendorState(overrides: Partial<VendorState> = {}): VendorState {
  return {
    status: 'active',
    chargesEnabled: true,
    payoutsEnabled: true,
    detailsSubmitted: true,
    transfersCapability: 'active',
    requirements: {
      currentlyDue: [],
      pastDue: [],
      eventuallyDue: ['individual.verification.document'],
      pendingVerification: [],
      disabledReason: null,
      currentDeadline: null,
    },
    ...overrides,
  };
}

export function vendorRecord(vendorId: string, overrides: Partial<VendorRecord> = {}): VendorRecord {
  return {
    vendorId,
    accountId: `acct_${vendorId}`,
    connection: 'account_link',
    ...vendorState(),
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function orderRecord(orderId: string, overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    orderId,
    vendorId: 'vendor_1',
    accountId: 'acct_vendor_1',
    mode: 'embedded',
    amount: 2000,
    currency: 'gbp',
    applicationFeeAmount: 240,
    vendorAmount: 1760,
    status: 'pending',
    paymentIntentId: null,
    checkoutSessionId: null,
    chargeId: null,
    amountRefunded: 0,
    dispute: null,
    lastPaymentError: null,
    description: null,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}
