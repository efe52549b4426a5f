/**
 * The transfers of separate charges and transfers (a cart): one per vendor, created after the payment
 * succeeded. Pure rules only.
 */

/** The `transfer_group` of a cart's PaymentIntent and transfers: the order id. */
export function cartTransferGroup(orderId: string): string {
  return orderId;
}
