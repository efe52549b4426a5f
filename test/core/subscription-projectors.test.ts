import fc from 'fast-check';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  applicationFeePercentFor,
  capped,
  fixedFee,
  percentage,
  percentageOf,
  perVendor,
} from '../../src/core/money/commission.js';
import { decideInvoice, decideSubscription, INVOICE_STAGE, planInvoiceFee } from '../../src/core/projectors/subscription.js';
import type { InvoiceRecord, InvoiceStatus, SubscriptionRecord } from '../../src/core/records.js';

const NOW = 1_800_000_000_000;

const record = (overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
  subscriptionId: 's1',
  vendorId: 'v1',
  accountId: 'acct_1',
  mode: 'embedded',
  amount: 900,
  currency: 'gbp',
  interval: 'month',
  trialDays: null,
  feeMode: 'per_invoice',
  applicationFeePercent: null,
  customerId: 'cus_1',
  priceId: 'price_1',
  stripeSubscriptionId: 'sub_1',
  checkoutSessionId: null,
  status: 'active',
  cancelAtPeriodEnd: false,
  pauseCollection: null,
  currentPeriodEnd: 100,
  endedAt: null,
  metadata: {},
  createdAt: 1,
  updatedAt: 1,
  ...overrides,
});

const subscription = (overrides: Record<string, unknown> = {}) =>
  ({
    id: 'sub_1',
    object: 'subscription',
    status: 'active',
    customer: 'cus_1',
    cancel_at_period_end: false,
    pause_collection: null,
    ended_at: null,
    items: { data: [{ current_period_end: 100 }] },
    ...overrides,
  }) as unknown as Stripe.Subscription;

const invoice = (overrides: Record<string, unknown> = {}) =>
  ({
    id: 'in_1',
    object: 'invoice',
    status: 'draft',
    amount_due: 900,
    currency: 'gbp',
    attempt_count: 0,
    billing_reason: 'subscription_cycle',
    lines: { data: [{ period: { start: 100, end: 200 } }] },
    status_transitions: { paid_at: null },
    ...overrides,
  }) as unknown as Stripe.Invoice;

describe('which policies Stripe can apply as application_fee_percent', () => {
  // https://docs.stripe.com/api/subscriptions/create#create_subscription-application_fee_percent:
  // "A non-negative decimal between 0 and 100, with at most two decimal places."
  it('a bare percentage with at most two decimals, rounding half up, in a currency that takes any integer', () => {
    expect(applicationFeePercentFor(percentage(12), 'gbp')).toBe(12);
    expect(applicationFeePercentFor(percentage(12.5), 'usd')).toBe(12.5);
    expect(applicationFeePercentFor(percentage(2.99), 'jpy')).toBe(2.99);
    expect(applicationFeePercentFor(percentage(0), 'gbp')).toBe(0);
    expect(applicationFeePercentFor(percentage(100), 'gbp')).toBe(100);
  });

  it('anything else is priced per invoice', () => {
    expect(applicationFeePercentFor(percentage(12.345), 'gbp')).toBeNull();
    expect(applicationFeePercentFor(percentage(12, { rounding: 'down' }), 'gbp')).toBeNull();
    expect(applicationFeePercentFor(percentage(12), 'isk')).toBeNull();
    expect(applicationFeePercentFor(percentage(12), 'kwd')).toBeNull();
    expect(applicationFeePercentFor(fixedFee({ gbp: 30 }), 'gbp')).toBeNull();
    expect(applicationFeePercentFor(capped(percentage(12), { max: 50 }), 'gbp')).toBeNull();
    expect(applicationFeePercentFor(perVendor({}, percentage(12)), 'gbp')).toBeNull();
    expect(applicationFeePercentFor((ctx) => ctx.amount / 10, 'gbp')).toBeNull();
  });

  it('percentageOf recognises only policies made by percentage()', () => {
    expect(percentageOf(percentage(7.5, { rounding: 'half_even' }))).toEqual({ rate: 7.5, rounding: 'half_even' });
    expect(percentageOf(fixedFee({ gbp: 1 }))).toBeNull();
  });
});

describe('decideSubscription (pure)', () => {
  it('stores what Stripe says now: status, pause, period-end cancellation, period end', () => {
    const next = decideSubscription(
      record(),
      subscription({
        status: 'past_due',
        cancel_at_period_end: true,
        pause_collection: { behavior: 'void' },
        items: { data: [{ current_period_end: 300 }] },
      }),
      NOW,
    );
    expect(next).toMatchObject({
      status: 'past_due',
      cancelAtPeriodEnd: true,
      pauseCollection: 'void',
      currentPeriodEnd: 300,
      updatedAt: NOW,
    });
  });

  it('goes back and forth between active and past_due, but an ended subscription stays ended', () => {
    expect(decideSubscription(record({ status: 'past_due' }), subscription({ status: 'active' }), NOW)?.status).toBe('active');
    expect(decideSubscription(record({ status: 'canceled' }), subscription({ status: 'active' }), NOW)).toBeNull();
    expect(decideSubscription(record({ status: 'incomplete_expired' }), subscription({ status: 'active' }), NOW)).toBeNull();
  });

  it('learns its Stripe id once, ignores another subscription, and writes nothing when nothing changed', () => {
    expect(decideSubscription(record({ stripeSubscriptionId: null, status: 'pending' }), subscription(), NOW)).toMatchObject({
      stripeSubscriptionId: 'sub_1',
      status: 'active',
    });
    expect(decideSubscription(record({ stripeSubscriptionId: 'sub_other' }), subscription(), NOW)).toBeNull();
    expect(decideSubscription(record(), subscription(), NOW)).toBeNull();
  });
});

describe('planInvoiceFee (pure)', () => {
  it('percent subscriptions only record the fee Stripe applies; free invoices record zero', () => {
    const percent = record({ feeMode: 'application_fee_percent', applicationFeePercent: 12 });
    expect(planInvoiceFee(percent, null, 'invoice.finalized', invoice({ status: 'open' }))).toEqual({
      kind: 'record',
      method: 'application_fee_percent',
    });
    // A draft's amount can still change: the fee is recorded once the invoice is finalized.
    expect(planInvoiceFee(percent, null, 'invoice.created', invoice())).toEqual({ kind: 'none' });
    expect(planInvoiceFee(record(), null, 'invoice.paid', invoice({ amount_due: 0, status: 'paid' }))).toEqual({
      kind: 'record',
      method: 'transfer_amount',
    });
    expect(planInvoiceFee(record(), null, 'invoice.created', invoice({ amount_due: 0 }))).toEqual({ kind: 'none' });
  });

  it('per-invoice: the draft of a renewal gets the transfer amount; a paid invoice without a fee is reversed', () => {
    expect(planInvoiceFee(record(), null, 'invoice.created', invoice())).toEqual({ kind: 'set_transfer_amount' });
    const first = invoice({ billing_reason: 'subscription_create' });
    expect(planInvoiceFee(record(), null, 'invoice.created', first)).toEqual({ kind: 'none' });
    expect(planInvoiceFee(record(), null, 'invoice.paid', invoice({ status: 'paid' }))).toEqual({ kind: 'reverse' });
    expect(planInvoiceFee(record(), null, 'invoice.finalized', invoice({ status: 'open' }))).toEqual({ kind: 'none' });
    const fee = decideInvoice(record(), null, 'invoice.created', invoice(), { amount: 150, method: 'transfer_amount' }, NOW);
    expect(planInvoiceFee(record(), fee, 'invoice.paid', invoice({ status: 'paid' }))).toEqual({ kind: 'none' });
  });
});

describe('decideInvoice (pure)', () => {
  it('statuses only move forward: a late invoice.created cannot turn a paid invoice into a draft', () => {
    const paid = decideInvoice(record(), null, 'invoice.paid', invoice({ status: 'paid' }), null, NOW) as InvoiceRecord;
    expect(paid.status).toBe('paid');
    expect(decideInvoice(record(), paid, 'invoice.created', invoice(), null, NOW)).toBeNull();
    const statuses = Object.keys(INVOICE_STAGE) as InvoiceStatus[];
    for (const from of statuses) {
      for (const to of statuses) {
        const current = { ...paid, status: from };
        const next = decideInvoice(record(), current, 'invoice.updated', invoice({ status: to }), null, NOW);
        const status = next?.status ?? from;
        expect(INVOICE_STAGE[status]).toBeGreaterThanOrEqual(INVOICE_STAGE[from]);
      }
    }
  });

  it('counts failed attempts from attempt_count, never down', () => {
    const failed = decideInvoice(
      record(),
      null,
      'invoice.payment_failed',
      invoice({ status: 'open', attempt_count: 2 }),
      null,
      NOW,
    ) as InvoiceRecord;
    expect(failed.paymentFailures).toBe(2);
    const late = decideInvoice(
      record(),
      failed,
      'invoice.payment_failed',
      invoice({ status: 'open', attempt_count: 1 }),
      null,
      NOW,
    );
    expect(late).toBeNull();
  });

  it('keeps the first fee it recorded, and fee plus vendor amount is the invoice amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 0, max: 1 }), (amount, share) => {
        const fee = Math.floor(amount * share * 0.37);
        const first = decideInvoice(
          record(),
          null,
          'invoice.created',
          invoice({ amount_due: amount }),
          { amount: fee, method: 'transfer_amount' },
          NOW,
        ) as InvoiceRecord;
        expect(first.applicationFeeAmount).toBe(fee);
        expect((first.applicationFeeAmount ?? 0) + (first.vendorAmount ?? 0)).toBe(amount);
        expect(first.applicationFeeAmount).toBeGreaterThanOrEqual(0);
        expect(first.applicationFeeAmount).toBeLessThanOrEqual(amount);
        const later = decideInvoice(
          record(),
          first,
          'invoice.paid',
          invoice({ amount_due: amount, status: 'paid' }),
          { amount: fee + 1, method: 'transfer_reversal' },
          NOW,
        );
        expect(later?.applicationFeeAmount).toBe(fee);
        expect(later?.feeMethod).toBe('transfer_amount');
      }),
    );
  });
});
