import type Stripe from 'stripe';
import type { Context } from '../../context.js';
import type {
  DisputeRecord,
  InvoiceRecord,
  OrderRecord,
  PayoutRecord,
  RefundRecord,
  SubscriptionRecord,
  VendorRecord,
} from '../../core/records.js';

/** The stored records an event is about, as they stand after its projection: what handlers see. */
export interface EventRecords {
  vendor?: VendorRecord;
  order?: OrderRecord;
  /** The dispute record, for `charge.dispute.*` events about a stored order. */
  dispute?: DisputeRecord;
  /** The payout record, for `payout.*` events of a stored vendor. */
  payout?: PayoutRecord;
  /** The refund record a `refund.*` event is about. */
  refund?: RefundRecord;
  subscription?: SubscriptionRecord;
  invoice?: InvoiceRecord;
}

/**
 * A projector keeps one kind of Stripe object's records true to Stripe. Its rule is a pure
 * `decide(current, event)` in `core/projectors/`; the projector is the thin effect step around it:
 * - `prepare` runs first, outside any transaction: it reads the records the event is about and, where the
 *   decision needs it, re-reads the object from Stripe (no Stripe call ever runs inside a transaction);
 * - `apply` writes the decision with version-guarded writes (inside the event's transaction when
 *   `webhookTransactions` is on), deciding again on the record as it stands when another writer got there
 *   first, and returns the records for the handlers.
 */
export interface Projector<P = unknown> {
  prepare(ctx: Context, event: Stripe.Event): Promise<P>;
  apply(ctx: Context, event: Stripe.Event, prepared: P): Promise<EventRecords>;
  /**
   * Optional: Stripe calls that follow from what `apply` wrote (a paid cart's transfers), run after the event
   * is settled as processed, outside any transaction. It only acts on work a stored record describes, so a
   * failure here is not the event's: it is logged, and the record stays due for `settleTransfers`.
   */
  after?(ctx: Context, event: Stripe.Event, records: EventRecords): Promise<void>;
}

export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (typeof value === 'string') return value;
  return value && typeof value.id === 'string' ? value.id : null;
}
