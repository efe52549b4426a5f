import type Stripe from 'stripe';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  EmbeddedSubscriptionResult,
  HostedSubscriptionResult,
  InvoiceRecord,
  Marketplace,
  SubscriptionRecord,
} from '../../src/index.js';

declare const market: Marketplace;

describe('subscription types', () => {
  it('handlers of subscription and invoice events get the records', () => {
    market.on('invoice.paid', (event, ctx) => {
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Invoice>();
      expectTypeOf(ctx.subscription).toEqualTypeOf<SubscriptionRecord | undefined>();
      expectTypeOf(ctx.invoice).toEqualTypeOf<InvoiceRecord | undefined>();
    });
    market.on('customer.subscription.updated', (event, ctx) => {
      expectTypeOf(event.data.object).toEqualTypeOf<Stripe.Subscription>();
      expectTypeOf(ctx.subscription).toEqualTypeOf<SubscriptionRecord | undefined>();
    });
  });

  it('createSubscription returns the result of its mode', () => {
    const base = { subscriptionId: 's', vendorId: 'v', customer: 'cus_1', price: 'price_1' };
    expectTypeOf(market.createSubscription(base)).toEqualTypeOf<Promise<EmbeddedSubscriptionResult>>();
    expectTypeOf(
      market.createSubscription({ ...base, mode: 'hosted', successUrl: 'https://x', cancelUrl: 'https://y' }),
    ).toEqualTypeOf<Promise<HostedSubscriptionResult>>();
    // @ts-expect-error: hosted needs successUrl and cancelUrl
    market.createSubscription({ ...base, mode: 'hosted' });
    // @ts-expect-error: the interval is one of day, week, month, year
    market.createSubscription({ ...base, price: { amount: 900, currency: 'gbp', interval: 'fortnight' } });
  });

  it('invoice records carry the fee as numbers or null before it is set', () => {
    expectTypeOf<InvoiceRecord['applicationFeeAmount']>().toEqualTypeOf<number | null>();
    expectTypeOf<SubscriptionRecord['feeMode']>().toEqualTypeOf<'application_fee_percent' | 'per_invoice'>();
  });
});
