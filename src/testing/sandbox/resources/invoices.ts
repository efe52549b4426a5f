import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineState, defineStore, type Stored } from '../core/store.js';
import { mergeMetadata, num, str } from '../core/util.js';
import { invalidRequest, SandboxApiError } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { requireTransferDestination } from './accounts.js';
import { confirm, INTENT_SUCCEEDED_HOOKS } from './payment-confirm.js';
import { createPaymentIntent, INTENTS } from './payment-intents.js';

/**
 * Invoices (https://docs.stripe.com/api/invoices), as Billing makes them for subscriptions: the first one finalized at
 * once, each renewal a draft that finalizes an hour later (https://docs.stripe.com/billing/subscriptions/webhooks),
 * paid through a PaymentIntent that carries the invoice's fee and transfer.
 */
export const INVOICES = defineStore<Stripe.Invoice>('invoices');

/** Renewal drafts stay editable this long before Stripe finalizes them. */
export const DRAFT_SECONDS = 3600;

/** How the invoice's payment is split (the invoice object of the current API version does not show it). */
export interface InvoiceSplit {
  /** Whole percent with up to two decimals, from the subscription's `application_fee_percent`. */
  feePercent: number | null;
  /** Set on the draft with `invoices.update`; wins over `feePercent`. */
  feeAmount: number | null;
  destination: string | null;
  /** Set on the draft with `transfer_data[amount]`; wins over `amountPercent`. */
  transferAmount: number | null;
  amountPercent: number | null;
}

interface InvoiceExtra {
  split: InvoiceSplit;
  intent: string | null;
  subscription: string | null;
}

export const INVOICE_EXTRA = defineState('invoice_extra', () => new Map<string, InvoiceExtra>());

/** What the subscriptions module does when one of its invoices is paid or its payment fails. */
export const INVOICE_HOOKS: {
  paid: ((core: SandboxCore, invoice: Stored<Stripe.Invoice>, subscription: string) => void)[];
  failed: ((core: SandboxCore, invoice: Stored<Stripe.Invoice>, subscription: string) => void)[];
} = { paid: [], failed: [] };

/**
 * A percentage of an amount in minor units, rounded half up (Stripe does not document its rounding of
 * `application_fee_percent`; half up keeps fee plus remainder equal to the total).
 */
export function percentOf(amount: number, percent: number): number {
  return Math.floor((amount * Math.round(percent * 100) + 5000) / 10000);
}

export interface NewInvoice {
  customer: string;
  subscription: string;
  currency: string;
  billingReason: 'subscription_create' | 'subscription_cycle';
  lines: { price: Stripe.Price; quantity: number; start: number; end: number }[];
  created: number;
  split: InvoiceSplit;
  defaultPaymentMethod: string | null;
  metadata: Record<string, string>;
  /** A trial's invoice: its lines cost nothing. */
  free: boolean;
}

/** Creates a draft invoice and emits `invoice.created`; renewal drafts finalize `DRAFT_SECONDS` later. */
export function createInvoice(core: SandboxCore, owner: string, n: NewInvoice): Stored<Stripe.Invoice> {
  const id = core.id('in');
  const lines = n.lines.map((l) => ({
    id: core.id('il'),
    object: 'line_item',
    amount: n.free ? 0 : (l.price.unit_amount ?? 0) * l.quantity,
    currency: n.currency,
    description: `${l.quantity} × ${l.price.product as string}`,
    invoice: id,
    livemode: false,
    metadata: {},
    period: { start: l.start, end: l.end },
    pricing: { price_details: { price: l.price.id, product: l.price.product }, type: 'price_details' },
    quantity: l.quantity,
  }));
  const total = lines.reduce((s, l) => s + l.amount, 0);
  const cycle = n.billingReason === 'subscription_cycle';
  const invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    automatically_finalizes_at: cycle ? n.created + DRAFT_SECONDS : null,
    billing_reason: n.billingReason,
    collection_method: 'charge_automatically',
    confirmation_secret: null,
    created: n.created,
    currency: n.currency,
    customer: n.customer,
    default_payment_method: n.defaultPaymentMethod,
    description: null,
    hosted_invoice_url: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: n.metadata, subscription: n.subscription },
      type: 'subscription_details',
    },
    payments: { object: 'list', data: [], has_more: false, url: '/v1/invoice_payments' },
    period_end: lines[0]?.period.start ?? n.created,
    period_start: lines[0]?.period.start ?? n.created,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    total,
  } as unknown as Stripe.Invoice;
  const stored = core.state(INVOICES).set(id, owner, invoice);
  core.state(INVOICE_EXTRA).set(id, { split: { ...n.split }, intent: null, subscription: n.subscription });
  core.emit('invoice.created', invoice, owner);
  return stored;
}

function extraOf(core: SandboxCore, id: string): InvoiceExtra {
  return core.state(INVOICE_EXTRA).get(id) as InvoiceExtra;
}

/** The fee and transfer of the invoice's payment, from the draft's own values or the subscription's percentages. */
export function splitAmounts(split: InvoiceSplit, total: number): { fee: number | null; transfer: number | null } {
  const fee = split.feeAmount ?? (split.feePercent !== null ? percentOf(total, split.feePercent) : null);
  const transfer =
    split.transferAmount ?? (split.destination && split.amountPercent !== null ? percentOf(total, split.amountPercent) : null);
  return { fee, transfer };
}

/** Finalizes a draft: it gets a number, its PaymentIntent (when it has something to pay), `invoice.finalized`. */
export function finalizeInvoice(core: SandboxCore, stored: Stored<Stripe.Invoice>): Stripe.Invoice {
  const invoice = stored.obj;
  if (invoice.status !== 'draft')
    throw invalidRequest(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`, {
      code: 'invoice_unexpected_state',
    });
  const extra = extraOf(core, invoice.id);
  const now = core.nowSeconds();
  invoice.status = 'open';
  invoice.number = `SBX-${invoice.id.slice(-6)}`;
  invoice.status_transitions.finalized_at = now;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${core.origin}/invoice/${invoice.id}`;
  if (invoice.amount_due > 0) {
    const { fee, transfer } = splitAmounts(extra.split, invoice.amount_due);
    const intent = createPaymentIntent(
      core,
      {
        amount: invoice.amount_due,
        currency: invoice.currency,
        customer: invoice.customer,
        description: 'Subscription creation',
        metadata: {},
        ...(fee !== null && fee > 0 ? { application_fee_amount: fee } : {}),
        ...(extra.split.destination
          ? { transfer_data: { destination: extra.split.destination, ...(transfer !== null ? { amount: transfer } : {}) } }
          : {}),
      },
      stored.owner,
    );
    extra.intent = intent.id;
    invoice.confirmation_secret = { client_secret: intent.client_secret as string, type: 'payment_intent' };
    invoice.payments = {
      object: 'list',
      data: [
        {
          id: core.id('inpay'),
          object: 'invoice_payment',
          amount_paid: null,
          amount_requested: invoice.amount_due,
          currency: invoice.currency,
          invoice: invoice.id,
          is_default: true,
          livemode: false,
          payment: { payment_intent: intent.id, type: 'payment_intent' },
          status: 'open',
        } as unknown as Stripe.InvoicePayment,
      ],
      has_more: false,
      url: '/v1/invoice_payments',
    };
  }
  core.emit('invoice.finalized', invoice, stored.owner);
  if (invoice.amount_due === 0) markPaid(core, stored);
  return invoice;
}

function markPaid(core: SandboxCore, stored: Stored<Stripe.Invoice>): void {
  const invoice = stored.obj;
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.attempted = true;
  invoice.status_transitions.paid_at = core.nowSeconds();
  const payment = invoice.payments?.data[0] as unknown as { status: string; amount_paid: number } | undefined;
  if (payment) [payment.status, payment.amount_paid] = ['paid', invoice.amount_due];
  core.emit('invoice.paid', invoice, stored.owner);
  core.emit('invoice.payment_succeeded', invoice, stored.owner);
  const subscription = extraOf(core, invoice.id).subscription;
  if (subscription) for (const hook of INVOICE_HOOKS.paid) hook(core, stored, subscription);
}

/** The invoice paid by `intent`, if any. */
function invoiceOfIntent(core: SandboxCore, intent: string): Stored<Stripe.Invoice> | undefined {
  for (const [id, extra] of core.state(INVOICE_EXTRA)) if (extra.intent === intent) return core.state(INVOICES).get(id);
  return undefined;
}

// An invoice's PaymentIntent confirmed by Stripe.js (or `invoices.pay`) pays the invoice.
INTENT_SUCCEEDED_HOOKS.push((core, intent) => {
  const stored = invoiceOfIntent(core, intent.obj.id);
  if (stored && stored.obj.status === 'open') markPaid(core, stored);
});

/**
 * Charges an open invoice with `paymentMethod` off session. A decline emits `invoice.payment_failed` and, when `raise`,
 * throws the card error; the invoice stays open.
 */
export function attemptPayment(
  core: SandboxCore,
  stored: Stored<Stripe.Invoice>,
  paymentMethod: string | null,
  raise: boolean,
): Stripe.Invoice {
  const invoice = stored.obj;
  const extra = extraOf(core, invoice.id);
  if (invoice.status !== 'open' || !extra.intent) return invoice;
  const intent = core.state(INTENTS).get(extra.intent) as Stored<Stripe.PaymentIntent>;
  invoice.attempt_count += 1;
  invoice.attempted = true;
  try {
    if (!paymentMethod)
      throw invalidRequest(
        'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
        { code: 'resource_missing', param: 'payment_method' },
      );
    confirm(core, intent, { payment_method: paymentMethod, off_session: true, __hosted: true });
  } catch (error) {
    if (!(error instanceof SandboxApiError)) throw error;
    core.emit('invoice.payment_failed', invoice, stored.owner);
    if (extra.subscription) for (const hook of INVOICE_HOOKS.failed) hook(core, stored, extra.subscription);
    if (raise) throw error;
  }
  return invoice;
}

/** Ends an invoice that will not be collected: `void` or `uncollectible`. */
export function closeInvoice(core: SandboxCore, stored: Stored<Stripe.Invoice>, status: 'void' | 'uncollectible'): void {
  const invoice = stored.obj;
  if (invoice.status === 'draft') finalizeInvoice(core, stored);
  invoice.status = status;
  const at = core.nowSeconds();
  if (status === 'void') invoice.status_transitions.voided_at = at;
  else invoice.status_transitions.marked_uncollectible_at = at;
  core.emit(status === 'void' ? 'invoice.voided' : 'invoice.marked_uncollectible', invoice, stored.owner);
}

function requireInvoice(core: SandboxCore, id: string, account: string): Stored<Stripe.Invoice> {
  return core.state(INVOICES).owned(id, account, 'invoice', 'invoice');
}

/**
 * `invoices.update`. The fee fields change only on a draft (https://docs.stripe.com/api/invoices/update): that is the
 * hour in which a platform sets a renewal's fee (https://docs.stripe.com/connect/subscriptions).
 */
function updateInvoice(core: SandboxCore, id: string, p: Params, account: string): Stripe.Invoice {
  const stored = requireInvoice(core, id, account);
  const invoice = stored.obj;
  const split = extraOf(core, id).split;
  const touchesSplit = p.application_fee_amount !== undefined || p.transfer_data !== undefined;
  if (touchesSplit && invoice.status !== 'draft')
    throw invalidRequest(
      `You can only update the application fee and transfer data of a draft invoice. This invoice is ${invoice.status}.`,
      {
        code: 'invoice_not_editable',
        param: p.application_fee_amount !== undefined ? 'application_fee_amount' : 'transfer_data',
      },
    );
  const previous: Record<string, unknown> = {};
  if (p.application_fee_amount !== undefined) {
    const fee = num(p.application_fee_amount);
    if (fee !== null && fee < 0)
      throw invalidRequest('This value must be greater than or equal to 0.', {
        param: 'application_fee_amount',
        code: 'parameter_invalid_integer',
      });
    if (fee !== null && fee > invoice.amount_due)
      throw invalidRequest(
        `The application fee amount (${fee}) cannot be greater than the invoice total (${invoice.amount_due}).`,
        {
          param: 'application_fee_amount',
        },
      );
    if (fee !== null && split.destination === null && account === core.platformId)
      throw invalidRequest(
        'Can only apply an application_fee_amount on a destination invoice or with the Stripe-Account header.',
        {
          param: 'application_fee_amount',
        },
      );
    split.feeAmount = fee;
    if (fee === null) split.feePercent = null;
  }
  const transfer = p.transfer_data as Params | null | undefined;
  if (transfer === null) [split.destination, split.transferAmount, split.amountPercent] = [null, null, null];
  else if (transfer) {
    const destination = transfer.destination as string;
    requireTransferDestination(core, destination, 'transfer_data[destination]');
    const amount = num(transfer.amount);
    if (amount !== null && (amount < 0 || amount > invoice.amount_due))
      throw invalidRequest('transfer_data[amount] must be between 0 and the invoice total.', { param: 'transfer_data[amount]' });
    if (amount !== null && splitAmounts(split, invoice.amount_due).fee !== null)
      throw invalidRequest('You cannot pass both application_fee_amount and transfer_data[amount].', {
        param: 'transfer_data[amount]',
      });
    [split.destination, split.transferAmount] = [destination, amount];
  }
  if (p.metadata !== undefined)
    [previous.metadata, invoice.metadata] = [invoice.metadata, mergeMetadata(invoice.metadata ?? {}, p.metadata)];
  if (p.description !== undefined) [previous.description, invoice.description] = [invoice.description, str(p.description)];
  if (typeof p.auto_advance === 'boolean') [previous.auto_advance, invoice.auto_advance] = [invoice.auto_advance, p.auto_advance];
  core.emit('invoice.updated', invoice, stored.owner, previous);
  return invoice;
}

export const invoices: ResourceModule = {
  name: 'invoices',
  objects: [INVOICES],
  routes: [
    listRoute(INVOICES, '/v1/invoices', { customer: 'string', status: 'string' }),
    retrieveRoute(INVOICES, '/v1/invoices', 'invoice', 'invoice'),
    {
      method: 'POST',
      path: '/v1/invoices/:id',
      params: {
        ...EXPAND,
        application_fee_amount: 'integer',
        transfer_data: { destination: 'string!', amount: 'integer' },
        metadata: 'metadata',
        description: 'string',
        auto_advance: 'boolean',
      } satisfies SpecObject,
      handler: (core, { path, params, account }) => updateInvoice(core, path.id as string, params, account),
    },
    {
      method: 'POST',
      path: '/v1/invoices/:id/finalize',
      params: { ...EXPAND, auto_advance: 'boolean' },
      handler: (core, { path, account }) => finalizeInvoice(core, requireInvoice(core, path.id as string, account)),
    },
    {
      method: 'POST',
      path: '/v1/invoices/:id/pay',
      params: { ...EXPAND, payment_method: 'string', off_session: 'boolean' },
      handler: (core, { path, params, account }) => {
        const stored = requireInvoice(core, path.id as string, account);
        if (stored.obj.status === 'draft') finalizeInvoice(core, stored);
        if (stored.obj.status !== 'open')
          throw invalidRequest(`Invoice is already ${stored.obj.status}`, { code: 'invoice_unexpected_state' });
        const pm = str(params.payment_method) ?? (stored.obj.default_payment_method as string | null);
        return attemptPayment(core, stored, pm, true);
      },
    },
    {
      method: 'POST',
      path: '/v1/invoices/:id/void',
      params: EXPAND,
      handler: (core, { path, account }) => {
        const stored = requireInvoice(core, path.id as string, account);
        if (stored.obj.status !== 'open')
          throw invalidRequest(`You can only void open invoices. This invoice is ${stored.obj.status}.`, {
            code: 'invoice_unexpected_state',
          });
        closeInvoice(core, stored, 'void');
        return stored.obj;
      },
    },
  ],
};
