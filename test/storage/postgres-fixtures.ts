import type { VendorRecord } from '../../src/core/records.js';
import type { InboxEventInput, RecordWrite } from '../../src/storage/types.js';

/** 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600_000;

/** A record envelope of `kind` with small JSON data; `over` replaces envelope fields. */
export function record(kind: string, id: string, over: Partial<RecordWrite<{ n: number; tag?: string }>> = {}) {
  return {
    kind,
    id,
    status: 'pending',
    index: null,
    refs: [],
    expiresAt: null,
    createdAt: T0,
    data: { n: 1 },
    ...over,
  } satisfies RecordWrite<{ n: number; tag?: string }>;
}

/** A verified event as the inbox takes it. */
export function eventInput(id: string, over: Partial<InboxEventInput> = {}): InboxEventInput {
  return {
    id,
    type: 'payment_intent.succeeded',
    account: 'acct_1',
    objectId: 'pi_1',
    livemode: false,
    created: 1_767_225_600,
    payload: JSON.stringify({ id, object: 'event' }),
    source: 'delivery',
    ...over,
  };
}

/** An active vendor, ready for checkout, as the vendor record kind stores it. */
export function activeVendor(vendorId: string): VendorRecord {
  return {
    vendorId,
    accountId: `acct_${vendorId}`,
    connection: 'account_link',
    status: 'active',
    chargesEnabled: true,
    payoutsEnabled: true,
    detailsSubmitted: true,
    transfersCapability: 'active',
    requirements: {
      currentlyDue: [],
      pastDue: [],
      eventuallyDue: [],
      pendingVerification: [],
      disabledReason: null,
      currentDeadline: null,
    },
    createdAt: T0,
    updatedAt: T0,
  };
}
