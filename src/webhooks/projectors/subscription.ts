import type Stripe from 'stripe';
import { askCommission, type Context, callStripe } from '../../context.js';
import { MarketplaceError } from '../../errors.js';
import { decideInvoice, decideSubscription, type InvoiceFee, planInvoiceFee } from '../../core/projectors/subscription.js';
import { INVOICE, type InvoiceRecord, type SubscriptionRecord } from '../../core/records.js';
import { insertRecord, mutateRecord } from '../../services/records.js';
import {
  getStoredInvoice,
  getStoredSubscription,
  mutateSubscription,
  subscriptionByStripeId,
} from '../../services/subscriptions.js';
import type { StoredRecord } from '../../storage/types.js';
import { type EventRecords, idOf, type Projector } from './types.js';

interface Found {
  readonly stored: StoredRecord<SubscriptionRecord> | null;
  /** Set when the record was found through its metadata and does not know its Stripe subscription yet. */
  readonly learnedId: string | null;
}

const NOT_FOUND: Found = { stored: null, learnedId: null };

/**
 * The stored subscription a Stripe subscription belongs to: by its id in the reference index, or, while the
 * record does not know it yet (a hosted subscription is created when the customer pays), by the
 * `subscription_id` the library put in its metadata. The hint is checked against the subscription as Stripe
 * has it (its metadata and its transfer destination must match the record). Events of connected accounts
 * are never destination subscriptions, and are not looked up.
 */
async function findSubscription(ctx: Context, event: Stripe.Event, stripeId: string | null): Promise<Found> {
  if (!stripeId || event.account !== undefined) return NOT_FOUND;
  const stored = await subscriptionByStripeId(ctx, stripeId);
  if (stored) return { stored, learnedId: null };
  const object = event.data.object as { metadata?: Record<string, string> | null; parent?: Stripe.Invoice.Parent | null };
  const hint = object.parent?.subscription_details?.metadata?.subscription_id ?? object.metadata?.subscription_id;
  if (!hint) return NOT_FOUND;
  const candidate = await getStoredSubscription(ctx, hint);
  if (!candidate || candidate.data.stripeSubscriptionId !== null) return NOT_FOUND;
  const subscription = await callStripe('subscriptions.retrieve', () => ctx.stripe.subscriptions.retrieve(stripeId));
  const destination = idOf(subscription.transfer_data?.destination as string | { id: string } | undefined);
  if (subscription.metadata?.subscription_id !== hint || destination !== candidate.data.accountId) return NOT_FOUND;
  return { stored: candidate, learnedId: stripeId };
}

interface SubscriptionPrepared extends Found {
  /** The subscription as Stripe has it now. */
  readonly subscription?: Stripe.Subscription;
}

/** `customer.subscription.*`: re-reads the subscription (its status goes back and forth) and stores it. */
export const subscriptionProjector: Projector<SubscriptionPrepared> = {
  async prepare(ctx, event) {
    const id = (event.data.object as Stripe.Subscription).id;
    const found = await findSubscription(ctx, event, id);
    if (!found.stored) return found;
    const subscription = await callStripe('subscriptions.retrieve', () => ctx.stripe.subscriptions.retrieve(id));
    return { ...found, subscription };
  },
  async apply(ctx, _event, { stored, subscription }): Promise<EventRecords> {
    if (!stored || !subscription) return {};
    const now = ctx.now();
    const result = await mutateSubscription(ctx, stored.id, (current) => decideSubscription(current, subscription, now), stored);
    return result.record ? { subscription: result.record } : {};
  },
};

interface InvoicePrepared extends Found {
  readonly invoice: StoredRecord<InvoiceRecord> | null;
  readonly fee: InvoiceFee | null;
}

function subscriptionIdOf(invoice: Stripe.Invoice): string | null {
  const parent = invoice.parent?.subscription_details?.subscription;
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return idOf((parent ?? legacy ?? null) as string | { id: string } | null);
}

function feeContext(subscription: SubscriptionRecord, invoice: Stripe.Invoice) {
  return {
    amount: invoice.amount_due,
    currency: invoice.currency,
    vendorId: subscription.vendorId,
    accountId: subscription.accountId,
    orderId: subscription.subscriptionId,
    subscriptionId: subscription.subscriptionId,
    invoiceId: invoice.id,
    metadata: subscription.metadata,
  };
}

/** The key of one fee applied to one invoice: a retry sends the same request once. */
export function invoiceFeeIdempotencyKey(invoiceId: string, fee: number, step: 'transfer_amount' | 'reversal'): string {
  return `invoice-fee:${invoiceId}:${step}:${fee}`;
}

/**
 * Sets the vendor's share on a renewal's draft (`transfer_data.amount`). When Stripe refuses because the
 * invoice is no longer a draft, the fee is left to `invoice.paid` (`reverse`); any other failure is thrown, so
 * the event is answered 500 and redelivered (Stripe keeps a renewal a draft until its webhooks succeed).
 */
async function setTransferAmount(ctx: Context, sub: SubscriptionRecord, invoice: Stripe.Invoice): Promise<InvoiceFee | null> {
  const fee = await askCommission(ctx, feeContext(sub, invoice));
  try {
    await callStripe('invoices.update', () =>
      ctx.stripe.invoices.update(
        invoice.id,
        { transfer_data: { destination: sub.accountId, amount: invoice.amount_due - fee } },
        { idempotencyKey: invoiceFeeIdempotencyKey(invoice.id, fee, 'transfer_amount') },
      ),
    );
  } catch (error) {
    const now = await callStripe('invoices.retrieve', () => ctx.stripe.invoices.retrieve(invoice.id));
    if (now.status !== 'draft') return null;
    throw error;
  }
  return { amount: fee, method: 'transfer_amount' };
}

/**
 * The fee of a paid invoice whose draft did not carry it (the first invoice, finalized at once): reversed
 * from the vendor's transfer. When the PaymentIntent shows a transfer amount, the draft's fee took effect
 * and is recorded as Stripe applied it; the fee's own reversal (found by its `invoice_id` metadata) is made once.
 */
async function reverseFee(ctx: Context, sub: SubscriptionRecord, invoice: Stripe.Invoice): Promise<InvoiceFee> {
  const fee = await askCommission(ctx, feeContext(sub, invoice));
  const full = await callStripe('invoices.retrieve', () => ctx.stripe.invoices.retrieve(invoice.id, { expand: ['payments'] }));
  const payments = full.payments?.data ?? [];
  const payment = payments.find((p) => p.status === 'paid') ?? payments[0];
  const intentId = idOf(payment?.payment.payment_intent ?? null);
  if (!intentId) throw new MarketplaceError('STRIPE_ERROR', `invoice ${invoice.id} is paid but names no PaymentIntent`);
  const intent = await callStripe('paymentIntents.retrieve', () =>
    ctx.stripe.paymentIntents.retrieve(intentId, { expand: ['latest_charge'] }),
  );
  const transferAmount = intent.transfer_data?.amount;
  if (typeof transferAmount === 'number') return { amount: intent.amount - transferAmount, method: 'transfer_amount' };
  if (fee === 0) return { amount: 0, method: 'transfer_reversal' };
  const charge = intent.latest_charge as Stripe.Charge | null;
  const transferId = idOf((charge?.transfer ?? null) as string | { id: string } | null);
  if (!transferId) {
    throw new MarketplaceError('STRIPE_ERROR', `the payment of invoice ${invoice.id} has no transfer to take the fee from`);
  }
  // The fee's own reversal is found by its metadata: another reversal of the transfer (a refund with reverse_transfer)
  // is not the fee, and a reversal whose answer was lost is not made twice.
  const reversals = await callStripe('transfers.listReversals', () =>
    ctx.stripe.transfers.listReversals(transferId, { limit: 100 }),
  );
  const own = reversals.data.find((r) => r.metadata?.invoice_id === invoice.id);
  if (own) return { amount: own.amount, method: 'transfer_reversal' };
  const transfer = await callStripe('transfers.retrieve', () => ctx.stripe.transfers.retrieve(transferId));
  // What refunds left on the transfer bounds the fee taken from it: the record holds what was taken.
  const amount = Math.min(fee, transfer.amount - transfer.amount_reversed);
  if (amount > 0) {
    await callStripe('transfers.createReversal', () =>
      ctx.stripe.transfers.createReversal(
        transferId,
        { amount, metadata: { invoice_id: invoice.id, subscription_id: sub.subscriptionId } },
        { idempotencyKey: invoiceFeeIdempotencyKey(invoice.id, amount, 'reversal') },
      ),
    );
  }
  return { amount, method: 'transfer_reversal' };
}

/**
 * `invoice.*` of a subscription: the invoice record (status, amount, failed attempts) and the platform's fee
 * on it. The fee's Stripe calls run here, in `prepare`, before any transaction.
 */
export const invoiceProjector: Projector<InvoicePrepared> = {
  async prepare(ctx, event) {
    const invoice = event.data.object as Stripe.Invoice;
    const found = await findSubscription(ctx, event, subscriptionIdOf(invoice));
    const sub = found.stored?.data;
    if (!sub) return { ...found, invoice: null, fee: null };
    const stored = await getStoredInvoice(ctx, invoice.id);
    const plan = planInvoiceFee(sub, stored?.data ?? null, event.type, invoice);
    let fee: InvoiceFee | null = null;
    if (plan.kind === 'record') {
      const amount = invoice.amount_due === 0 ? 0 : await askCommission(ctx, feeContext(sub, invoice));
      fee = { amount, method: plan.method };
    } else if (plan.kind === 'set_transfer_amount') {
      fee = await setTransferAmount(ctx, sub, invoice);
    } else if (plan.kind === 'reverse') {
      fee = await reverseFee(ctx, sub, invoice);
    }
    return { ...found, invoice: stored, fee };
  },

  async apply(ctx, event, prepared): Promise<EventRecords> {
    let sub = prepared.stored?.data;
    if (!prepared.stored || !sub) return {};
    const now = ctx.now();
    const learned = prepared.learnedId;
    if (learned) {
      const result = await mutateSubscription(
        ctx,
        prepared.stored.id,
        (current) =>
          current.stripeSubscriptionId === null ? { ...current, stripeSubscriptionId: learned, updatedAt: now } : null,
        prepared.stored,
      );
      sub = result.record ?? sub;
    }
    const invoice = event.data.object as Stripe.Invoice;
    const decide = (current: InvoiceRecord | null) =>
      decideInvoice(sub as SubscriptionRecord, current, event.type, invoice, prepared.fee, now);
    let record: InvoiceRecord | null = prepared.invoice?.data ?? null;
    if (!prepared.invoice) {
      const first = decide(null);
      if (first) {
        const inserted = await insertRecord(ctx.storage, INVOICE, first);
        record = inserted.record.data;
        if (!inserted.created) record = (await mutateRecord(ctx.storage, INVOICE, invoice.id, decide, inserted.record)).record;
      }
    } else {
      record = (await mutateRecord(ctx.storage, INVOICE, invoice.id, decide, prepared.invoice)).record;
    }
    return { subscription: sub, ...(record ? { invoice: record } : {}) };
  },
};
