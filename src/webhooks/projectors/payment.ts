import type Stripe from 'stripe';
import { callStripe } from '../../context.js';
import {
  decideChargeRefunded,
  decideCheckoutSession,
  decidePaymentIntent,
  type PaymentDecision,
} from '../../core/projectors/payment.js';
import type { OrderRecord } from '../../core/records.js';
import { mutateOrder } from '../../services/orders.js';
import { type FoundOrder, findOrder, withPaymentIntentId } from './find.js';
import type { EventRecords, Projector } from './types.js';

type Decide = (order: OrderRecord, event: Stripe.Event, now: number, confirmed?: Stripe.PaymentIntent) => PaymentDecision;

interface Prepared extends FoundOrder {
  /** The PaymentIntent as Stripe has it now, when the decision needed it confirmed. */
  readonly confirmed?: Stripe.PaymentIntent;
}

/** An order projector: finds the order, re-reads the PaymentIntent when `decide` asks, and writes the decision. */
function orderProjector(decide: Decide): Projector<Prepared> {
  return {
    async prepare(ctx, event) {
      const found = await findOrder(ctx, event);
      const order = found.stored?.data;
      if (!order) return found;
      const decision = decide(withPaymentIntentId(order, found.paymentIntentId, ctx.now()), event, ctx.now());
      if (decision.kind !== 'confirm') return found;
      const id = decision.paymentIntentId;
      const confirmed = await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id));
      return { ...found, confirmed };
    },

    async apply(ctx, event, prepared): Promise<EventRecords> {
      const stored = prepared.stored;
      if (!stored) return {};
      const now = ctx.now();
      const result = await mutateOrder(
        ctx,
        stored.id,
        (current) => {
          const order = withPaymentIntentId(current, prepared.paymentIntentId, now);
          const decision = decide(order, event, now, prepared.confirmed);
          if (decision.kind === 'write') return decision.order;
          if (decision.kind === 'none') {
            try {
              // A logger that throws must not fail the event (its answer, if a promise, is not awaited).
              const logged: unknown = ctx.logger.debug?.(`${event.type} changes nothing: ${decision.reason}`, {
                orderId: order.orderId,
                status: order.status,
              });
              (logged as PromiseLike<unknown> | undefined)?.then?.(undefined, () => undefined);
            } catch {
              // ignored
            }
          }
          // A hosted order found through its session still records its PaymentIntent.
          return order === current ? null : order;
        },
        stored,
      );
      return result.record ? { order: result.record } : {};
    },
  };
}

export const paymentIntentProjector = orderProjector((order, event, now, confirmed) =>
  decidePaymentIntent(order, event.type, event.data.object as Stripe.PaymentIntent, now, confirmed),
);

export const checkoutSessionProjector = orderProjector((order, event, now) =>
  decideCheckoutSession(order, event.type, event.data.object as Stripe.Checkout.Session, now),
);

export const chargeRefundedProjector = orderProjector((order, event, now) =>
  decideChargeRefunded(order, event.data.object as Stripe.Charge, now),
);

/** For events without a projector of their own (refunds, charges): finds the order for the handlers. */
export const lookupProjector: Projector<FoundOrder> = {
  prepare: (ctx, event) => findOrder(ctx, event),
  async apply(ctx, _event, prepared) {
    const stored = prepared.stored;
    if (!stored) return {};
    if (!prepared.paymentIntentId) return { order: stored.data };
    const now = ctx.now();
    const result = await mutateOrder(
      ctx,
      stored.id,
      (order) => {
        const next = withPaymentIntentId(order, prepared.paymentIntentId, now);
        return next === order ? null : next;
      },
      stored,
    );
    return result.record ? { order: result.record } : {};
  },
};
