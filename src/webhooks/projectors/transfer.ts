import { planTransfers, releaseHeldTransfers, sendOrderTransfers } from '../../services/transfers.js';
import type { Projector } from './types.js';

/**
 * A paid cart's transfers, added to the projectors of its payment events: `apply` stores one `pending`
 * transfer per vendor together with the payment's records (in the event's transaction, when there is one),
 * and `after` sends them once the event is settled, outside any transaction.
 */
export function withCartTransfers<P>(projector: Projector<P>): Projector<P> {
  return {
    prepare: (ctx, event) => projector.prepare(ctx, event),
    async apply(ctx, event, prepared) {
      const records = await projector.apply(ctx, event, prepared);
      if (records.order?.chargeType === 'separate') await planTransfers(ctx, records.order);
      return records;
    },
    async after(ctx, event, records) {
      await projector.after?.(ctx, event, records);
      if (records.order?.chargeType === 'separate') await sendOrderTransfers(ctx, records.order);
    },
  };
}

/** `account.updated`: once the vendor's account can receive transfers, its held transfers are released and sent. */
export function withHeldTransfers<P>(projector: Projector<P>): Projector<P> {
  return {
    prepare: (ctx, event) => projector.prepare(ctx, event),
    apply: (ctx, event, prepared) => projector.apply(ctx, event, prepared),
    async after(ctx, event, records) {
      await projector.after?.(ctx, event, records);
      if (records.vendor) await releaseHeldTransfers(ctx, records.vendor);
    },
  };
}
