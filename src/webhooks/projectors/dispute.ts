import type Stripe from 'stripe';
import { decideDispute } from '../../core/projectors/dispute.js';
import { DISPUTE, type DisputeRecord } from '../../core/records.js';
import { mutateOrder } from '../../services/orders.js';
import { getStored, insertRecord, mutateRecord } from '../../services/records.js';
import type { StoredRecord } from '../../storage/types.js';
import { type FoundOrder, findOrder, withPaymentIntentId } from './find.js';
import type { EventRecords, Projector } from './types.js';

interface Prepared extends FoundOrder {
  readonly dispute: StoredRecord<DisputeRecord> | null;
}

/** `charge.dispute.*`: the dispute record, and the order's dispute summary. */
export const disputeProjector: Projector<Prepared> = {
  async prepare(ctx, event) {
    const found = await findOrder(ctx, event);
    if (!found.stored) return { ...found, dispute: null };
    const dispute = await getStored(ctx.storage, DISPUTE, (event.data.object as Stripe.Dispute).id);
    return { ...found, dispute };
  },

  async apply(ctx, event, prepared): Promise<EventRecords> {
    const stored = prepared.stored;
    if (!stored) return {};
    const dispute = event.data.object as Stripe.Dispute;
    const now = ctx.now();
    let storedDispute = prepared.dispute;
    if (!storedDispute) {
      const first = decideDispute(stored.data, null, event.type, dispute, now).dispute;
      if (first) storedDispute = (await insertRecord(ctx.storage, DISPUTE, first)).record;
    } else {
      await mutateRecord(
        ctx.storage,
        DISPUTE,
        dispute.id,
        (current) => decideDispute(stored.data, current, event.type, dispute, now).dispute,
        storedDispute,
      );
    }
    const result = await mutateOrder(
      ctx,
      stored.id,
      (current) => {
        const order = withPaymentIntentId(current, prepared.paymentIntentId, now);
        const next = decideDispute(order, prepared.dispute?.data ?? null, event.type, dispute, now).order;
        return next ?? (order === current ? null : order);
      },
      stored,
    );
    return result.record ? { order: result.record } : {};
  },
};
