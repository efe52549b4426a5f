import type Stripe from 'stripe';
import { decidePayout, decideVendorPayout } from '../../core/projectors/payout.js';
import { PAYOUT, type PayoutRecord, VENDOR, type VendorRecord } from '../../core/records.js';
import { getStored, insertRecord, listRecords, mutateRecord } from '../../services/records.js';
import { vendorByAccount } from '../../services/vendors.js';
import type { StoredRecord } from '../../storage/types.js';
import type { EventRecords, Projector } from './types.js';

interface Prepared {
  readonly vendor: StoredRecord<VendorRecord> | null;
  readonly payout: StoredRecord<PayoutRecord> | null;
  /** When the vendor's newest paid payout was created (ms), or null. */
  readonly newestPaidAt: number | null;
}

/**
 * `payout.created` / `.updated` / `.paid` / `.failed` / `.canceled` (Connect events: `event.account` names
 * the vendor): the payout record, and the vendor's `payoutFailed`. Payouts of accounts that are not a
 * stored vendor (and the platform's own payouts) are not recorded; handlers still run.
 */
export const payoutProjector: Projector<Prepared> = {
  async prepare(ctx, event) {
    const vendor = event.account ? await vendorByAccount(ctx, event.account) : null;
    if (!vendor) return { vendor: null, payout: null, newestPaidAt: null };
    const payout = await getStored(ctx.storage, PAYOUT, (event.data.object as Stripe.Payout).id);
    const [paid] = await listRecords(ctx.storage, PAYOUT, { index: vendor.data.vendorId, statuses: ['paid'], limit: 1 });
    return { vendor, payout, newestPaidAt: paid?.createdAt ?? null };
  },

  async apply(ctx, event, prepared): Promise<EventRecords> {
    const { vendor } = prepared;
    if (!vendor) return {};
    const object = event.data.object as Stripe.Payout;
    const now = ctx.now();
    const change = (current: PayoutRecord | null) => decidePayout(current, vendor.data, object, now);
    let record: PayoutRecord | null = prepared.payout?.data ?? null;
    if (!prepared.payout) {
      const first = change(null);
      if (first) {
        const inserted = await insertRecord(ctx.storage, PAYOUT, first);
        record = inserted.record.data;
        if (!inserted.created) record = (await mutateRecord(ctx.storage, PAYOUT, object.id, change, inserted.record)).record;
      }
    } else {
      record = (await mutateRecord(ctx.storage, PAYOUT, object.id, change, prepared.payout)).record;
    }
    if (!record) return { vendor: vendor.data };
    const payout = record;
    const updated = await mutateRecord(
      ctx.storage,
      VENDOR,
      vendor.id,
      (current) => decideVendorPayout(current, payout, prepared.newestPaidAt),
      vendor,
    );
    return { vendor: updated.record ?? vendor.data, payout };
  },
};
