import { accountUpdatedProjector, deauthorizedProjector } from './account.js';
import { disputeProjector } from './dispute.js';
import { chargeRefundedProjector, checkoutSessionProjector, lookupProjector, paymentIntentProjector } from './payment.js';
import { payoutProjector } from './payout.js';
import { refundProjector } from './refund.js';
import { invoiceProjector, subscriptionProjector } from './subscription.js';
import { withCartTransfers, withHeldTransfers } from './transfer.js';
import type { Projector } from './types.js';

/**
 * The projector of each event type the library keeps records for. Adding a record kind adds its
 * projector here; events of other types are only looked up for the handlers.
 */
const PROJECTORS: Readonly<Record<string, Projector>> = {
  'account.updated': withHeldTransfers(accountUpdatedProjector),
  'account.application.deauthorized': deauthorizedProjector,
  'payment_intent.succeeded': withCartTransfers(paymentIntentProjector),
  'payment_intent.processing': paymentIntentProjector,
  'payment_intent.payment_failed': paymentIntentProjector,
  'payment_intent.canceled': paymentIntentProjector,
  'checkout.session.completed': withCartTransfers(checkoutSessionProjector),
  'checkout.session.async_payment_succeeded': withCartTransfers(checkoutSessionProjector),
  'checkout.session.async_payment_failed': checkoutSessionProjector,
  'checkout.session.expired': checkoutSessionProjector,
  'charge.refunded': chargeRefundedProjector,
  'refund.created': refundProjector,
  'refund.updated': refundProjector,
  'refund.failed': refundProjector,
  'charge.dispute.created': disputeProjector,
  'charge.dispute.updated': disputeProjector,
  'charge.dispute.closed': disputeProjector,
  'charge.dispute.funds_withdrawn': disputeProjector,
  'charge.dispute.funds_reinstated': disputeProjector,
  'payout.created': payoutProjector,
  'payout.updated': payoutProjector,
  'payout.paid': payoutProjector,
  'payout.failed': payoutProjector,
  'payout.canceled': payoutProjector,
  // Subscriptions and their invoices
  'customer.subscription.created': subscriptionProjector,
  'customer.subscription.updated': subscriptionProjector,
  'customer.subscription.deleted': subscriptionProjector,
  'customer.subscription.paused': subscriptionProjector,
  'customer.subscription.resumed': subscriptionProjector,
  'customer.subscription.trial_will_end': subscriptionProjector,
  'invoice.created': invoiceProjector,
  'invoice.finalized': invoiceProjector,
  'invoice.updated': invoiceProjector,
  'invoice.paid': invoiceProjector,
  'invoice.payment_failed': invoiceProjector,
  'invoice.voided': invoiceProjector,
  'invoice.marked_uncollectible': invoiceProjector,
} as Record<string, Projector>;

/** The event types that change stored records. */
export const PROJECTED_EVENT_TYPES: readonly string[] = Object.freeze(Object.keys(PROJECTORS));

/** The projector for `type`, or the order lookup for handlers (which writes nothing but a hosted order's PaymentIntent). */
export function projectorFor(type: string): Projector {
  return PROJECTORS[type] ?? (lookupProjector as Projector);
}
