import {
  envelope,
  OAUTH_STATE,
  ORDER,
  VENDOR,
  type OrderRecord,
  type VendorRecord,
  type VendorState,
} from '../../core/records.js';
import type { InboxEventInput, RecordWrite } from '../../storage/types.js';

/** A fixed epoch for the suite's records (2026-01-01T00:00:00Z), so records are reproducible. */
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

/** A one-item destination-charge order of `vendor_1`: 2000 minor units, a 240 fee, 1760 to the vendor. */
export function orderRecord(orderId: string, overrides: Partial<OrderRecord> = {}): OrderRecord {
  const vendorId = overrides.vendorId ?? 'vendor_1';
  const accountId = overrides.accountId ?? `acct_${vendorId}`;
  const amount = overrides.amount ?? 2000;
  const applicationFeeAmount = overrides.applicationFeeAmount ?? 240;
  return {
    orderId,
    vendorId,
    accountId,
    mode: 'embedded',
    chargeType: 'destination',
    amount,
    currency: 'gbp',
    applicationFeeAmount,
    vendorAmount: amount - applicationFeeAmount,
    items: [
      {
        vendorId,
        accountId,
        amount,
        applicationFeeAmount,
        vendorAmount: amount - applicationFeeAmount,
        description: null,
      },
    ],
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

/** What `insert`/`update` write for an order. */
export const orderWrite = (orderId: string, overrides: Partial<OrderRecord> = {}): RecordWrite<OrderRecord> =>
  envelope(ORDER, orderRecord(orderId, overrides));

/** What `insert`/`update` write for a vendor. */
export const vendorWrite = (vendorId: string, overrides: Partial<VendorRecord> = {}): RecordWrite<VendorRecord> =>
  envelope(VENDOR, vendorRecord(vendorId, overrides));

/** A single-use OAuth state expiring at `expiresAt`. */
export const stateWrite = (state: string, expiresAt: number, vendorId = 'vendor_1') =>
  envelope(OAUTH_STATE, { state, vendorId, expiresAt });

/** A record of a kind the library does not define, with the envelope given outright. */
export function recordWrite<D>(kind: string, id: string, data: D, overrides: Partial<RecordWrite<D>> = {}): RecordWrite<D> {
  return { kind, id, status: 'open', index: null, refs: [], expiresAt: null, createdAt: T0, data, ...overrides };
}

/** A verified event as a delivery hands it to the inbox. */
export function inboxEvent(id: string, overrides: Partial<InboxEventInput> = {}): InboxEventInput {
  return {
    id,
    type: 'payment_intent.succeeded',
    account: 'acct_vendor_1',
    objectId: `pi_${id}`,
    livemode: false,
    created: 1_767_225_600,
    payload: JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', data: { object: { id: `pi_${id}` } } }),
    source: 'delivery',
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
