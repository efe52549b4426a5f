import type { ChargeType, OrderItem, OrderRecord } from './records.js';

/** What a new order is made of: its items, each already priced by the commission policy. */
export interface NewOrder {
  readonly orderId: string;
  readonly mode: 'embedded' | 'hosted';
  readonly chargeType: ChargeType;
  readonly currency: string;
  /** At least one; the order's vendor and account are the first item's. */
  readonly items: readonly OrderItem[];
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly now: number;
}

/**
 * A new, `pending` order: its amount and fee are the sums of its items', and `vendorAmount` is the difference, so the
 * order adds up exactly to its items whatever the charge type.
 */
export function newOrder(input: NewOrder): OrderRecord {
  const first = input.items[0];
  if (!first) throw new RangeError('newOrder: an order has at least one item');
  const amount = input.items.reduce((sum, item) => sum + item.amount, 0);
  const fee = input.items.reduce((sum, item) => sum + item.applicationFeeAmount, 0);
  return {
    orderId: input.orderId,
    vendorId: first.vendorId,
    accountId: first.accountId,
    mode: input.mode,
    chargeType: input.chargeType,
    amount,
    currency: input.currency,
    applicationFeeAmount: fee,
    vendorAmount: amount - fee,
    items: input.items,
    status: 'pending',
    paymentIntentId: null,
    checkoutSessionId: null,
    chargeId: null,
    amountRefunded: 0,
    dispute: null,
    lastPaymentError: null,
    description: input.description,
    metadata: input.metadata,
    createdAt: input.now,
    updatedAt: input.now,
  };
}
