import * as z from 'zod/mini';
import type { Context } from '../context.js';
import { DISPUTE, type DisputeRecord } from '../core/records.js';
import { getStored, listRecords } from '../services/records.js';
import { idSchema } from '../util/schemas.js';
import { lazy, parseWith } from '../util/validate.js';

export interface ListDisputesOptions {
  /** The order whose disputes to list. */
  orderId: string;
  /** At most this many, newest first. Default 100, at most 1000. */
  limit?: number;
}

const listDisputesSchema = lazy(() =>
  z.strictObject({
    orderId: idSchema(),
    limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(1000))),
  }),
);

/** The stored dispute (status, amounts, the dispute policy's money moves), or null. */
export async function getDispute(ctx: Context, disputeId: string): Promise<DisputeRecord | null> {
  const id = parseWith(idSchema(), disputeId, 'getDispute(disputeId)');
  return (await getStored(ctx.storage, DISPUTE, id))?.data ?? null;
}

/** The order's stored disputes (from `charge.dispute.*` events), newest first. */
export async function listDisputes(ctx: Context, options: ListDisputesOptions): Promise<DisputeRecord[]> {
  const data = parseWith(listDisputesSchema(), options, 'listDisputes');
  return listRecords(ctx.storage, DISPUTE, { index: data.orderId, limit: data.limit ?? 100 });
}
