import type Stripe from 'stripe';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  DisputeRecord,
  Marketplace,
  MarketplaceError,
  OrderRecord,
  PayoutRecord,
  VendorBalance,
  VendorRecord,
  WebhookEvent,
  WebhookResult,
} from '../../src/index.js';

declare const market: Marketplace;

describe('webhook handler types', () => {
  it('narrows the event to the registered type', () => {
    market.on('payment_intent.succeeded', (event, ctx) => {
      expectTypeOf(event.type).toEqualTypeOf<'payment_intent.succeeded'>();
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.PaymentIntent>();
      expectTypeOf(event).toEqualTypeOf<Stripe.PaymentIntentSucceededEvent>();
      expectTypeOf(ctx.order).toEqualTypeOf<OrderRecord | undefined>();
      expectTypeOf(ctx.vendor).toEqualTypeOf<VendorRecord | undefined>();
      expectTypeOf(ctx.account).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.stripe).toEqualTypeOf<Stripe>();
    });
    market.on('checkout.session.completed', (event) => {
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Checkout.Session>();
    });
    market.on('account.updated', (event) => {
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Account>();
    });
  });

  it('gives dispute and payout handlers their records, and types the balance and payout list', () => {
    market.on('charge.dispute.closed', (_event, ctx) => {
      expectTypeOf(ctx.dispute).toEqualTypeOf<DisputeRecord | undefined>();
    });
    market.on('payout.failed', (event, ctx) => {
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Payout>();
      expectTypeOf(ctx.payout).toEqualTypeOf<PayoutRecord | undefined>();
    });
    expectTypeOf(market.vendorBalance).returns.resolves.toEqualTypeOf<VendorBalance>();
    expectTypeOf(market.listPayouts).returns.resolves.toEqualTypeOf<PayoutRecord[]>();
  });

  it('narrows to the union for several types', () => {
    market.on(['charge.dispute.created', 'charge.dispute.closed'], (event) => {
      expectTypeOf(event.type).toEqualTypeOf<'charge.dispute.created' | 'charge.dispute.closed'>();
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Dispute>();
    });
  });

  it('refuses unknown types and wrong handler types', () => {
    // @ts-expect-error: a typo is not an event type
    market.on('payment_intent.succeded', () => {});
    market.on('payment_intent.succeeded', (event) => {
      // @ts-expect-error: a PaymentIntent has no amount_refunded
      event.data.object.amount_refunded;
    });
    const chargeHandler = (_event: Stripe.ChargeRefundedEvent) => {};
    // @ts-expect-error: a charge.refunded handler cannot handle payment_intent.succeeded
    market.on('payment_intent.succeeded', chargeHandler);
  });

  it('gives onAny every event and onError a MarketplaceError', () => {
    market.onAny((event) => {
      expectTypeOf(event).toEqualTypeOf<Stripe.Event>();
    });
    market.onError((error, event) => {
      expectTypeOf(error).toEqualTypeOf<MarketplaceError>();
      expectTypeOf(event).toEqualTypeOf<Stripe.Event>();
    });
    expectTypeOf(market.on('payout.paid', async () => 'anything')).toEqualTypeOf<() => void>();
  });

  it('types the results', () => {
    expectTypeOf(market.handleWebhook).returns.resolves.toEqualTypeOf<WebhookResult>();
    expectTypeOf(market.handleWebhookRequest).returns.resolves.toEqualTypeOf<Response>();
    expectTypeOf<WebhookResult['outcome']>().toEqualTypeOf<
      'processed' | 'duplicate' | 'ignored' | 'queued' | 'rejected' | 'failed'
    >();
    expectTypeOf<WebhookEvent<'payout.paid'>['data']['object']>().toEqualTypeOf<Stripe.Payout>();
    // @ts-expect-error: the body is raw bytes or a string, never a parsed object
    void market.handleWebhook({ body: { id: 'evt_1' }, signature: 't=1,v1=00' });
  });
});
