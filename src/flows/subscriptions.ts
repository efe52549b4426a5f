import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';
import { askCommission, type Context, callStripe } from '../context.js';
import { assertChargeAmount } from '../core/money/currencies.js';
import { applicationFeePercentFor } from '../core/money/commission.js';
import { decideSubscription } from '../core/projectors/subscription.js';
import type { BillingInterval, SubscriptionFeeMode, SubscriptionRecord, SubscriptionStatus } from '../core/records.js';
import { getSubscription, insertSubscription, mutateSubscription } from '../services/subscriptions.js';
import { requireReadyVendor } from '../services/vendors.js';
import { lazy, parseWith } from '../util/validate.js';
import { idSchema, metadataKeySchema, refuseForbiddenKeys, textSchema, webUrlSchema } from '../util/schemas.js';

/** A new price: one period's amount in minor units, its currency and interval. */
export interface SubscriptionPriceInput {
  amount: number;
  currency: string;
  interval: BillingInterval;
  /** The product's name on invoices and Checkout. Default `Subscription`. */
  productName?: string;
}

interface SubscriptionCommon {
  /** The platform's id for the subscription. One id is one Stripe subscription: repeating a call returns it. */
  subscriptionId: string;
  /** The vendor who receives each invoice's money (minus the commission). */
  vendorId: string;
  /** An existing customer (`cus_...`), or the customer to create. */
  customer: string | { email: string; name?: string };
  /** An existing recurring price (`price_...`) with a fixed unit amount, or the price to create. */
  price: string | SubscriptionPriceInput;
  /** Days of free trial before the first charge: 1 to 730. */
  trialDays?: number;
  /** String metadata stored on the record and sent to Stripe (alongside `subscription_id` and `vendor_id`). */
  metadata?: Record<string, string>;
}

/** Stripe.js confirms the first invoice's payment with the returned `clientSecret` (Payment Element). */
export interface EmbeddedSubscriptionInput extends SubscriptionCommon {
  mode?: 'embedded';
}

/** A Checkout Session in `subscription` mode the customer is redirected to. */
export interface HostedSubscriptionInput extends SubscriptionCommon {
  mode: 'hosted';
  successUrl: string;
  cancelUrl: string;
}

export type CreateSubscriptionInput = EmbeddedSubscriptionInput | HostedSubscriptionInput;

interface SubscriptionResultCommon {
  subscriptionId: string;
  vendorId: string;
  accountId: string;
  customerId: string;
  priceId: string;
  /** One period's price in minor units. */
  amount: number;
  currency: string;
  interval: BillingInterval;
  /** The platform's fee on one full period at this price, as the commission policy prices it now. */
  applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`. */
  vendorAmount: number;
  feeMode: SubscriptionFeeMode;
  /** The subscription's `application_fee_percent` when `feeMode` is `application_fee_percent`. */
  applicationFeePercent: number | null;
  status: SubscriptionStatus;
}

export interface EmbeddedSubscriptionResult extends SubscriptionResultCommon {
  mode: 'embedded';
  stripeSubscriptionId: string;
  /**
   * Pass to Stripe.js to confirm the first payment: the first invoice's PaymentIntent secret, or, with a trial,
   * the subscription's pending SetupIntent secret. Null when nothing is left to confirm. Do not log or store it.
   */
  clientSecret: string | null;
}

export interface HostedSubscriptionResult extends SubscriptionResultCommon {
  mode: 'hosted';
  sessionId: string;
  /** The Checkout page; null once the session is complete or expired. */
  url: string | null;
}

export type CreateSubscriptionResult = EmbeddedSubscriptionResult | HostedSubscriptionResult;

/** Stripe's bounds for `trial_period_days` (https://docs.stripe.com/api/subscriptions/create). */
export const MAX_TRIAL_DAYS = 730;
const MAX_METADATA_KEYS = 48;
const RESERVED_METADATA = ['subscription_id', 'vendor_id'];

const commonShape = () => ({
  subscriptionId: idSchema(),
  vendorId: idSchema(),
  customer: z.union([
    z.string().check(z.regex(/^cus_[A-Za-z0-9_]+$/)),
    z.strictObject({ email: z.string().check(z.email(), z.maxLength(512)), name: z.optional(textSchema(256, 1)) }),
  ]),
  price: z.union([
    z.string().check(z.regex(/^price_[A-Za-z0-9_]+$/)),
    z.strictObject({
      amount: z.number(),
      currency: z.string(),
      interval: z.enum(['day', 'week', 'month', 'year']),
      productName: z.optional(textSchema(250, 1)),
    }),
  ]),
  trialDays: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_TRIAL_DAYS))),
  metadata: z.optional(
    z.record(metadataKeySchema(), textSchema(500)).check(
      z.refine((value) => Object.keys(value).length <= MAX_METADATA_KEYS, {
        message: `at most ${MAX_METADATA_KEYS} keys (Stripe allows 50, and the library adds subscription_id and vendor_id)`,
      }),
    ),
  ),
});

const embeddedSchema = lazy(() => z.strictObject({ ...commonShape(), mode: z.optional(z.literal('embedded')) }));
const hostedSchema = lazy(() =>
  z.strictObject({ ...commonShape(), mode: z.literal('hosted'), successUrl: webUrlSchema(), cancelUrl: webUrlSchema() }),
);

function validate(input: CreateSubscriptionInput) {
  refuseForbiddenKeys((input as { metadata?: unknown } | null)?.metadata, 'createSubscription: metadata');
  const hosted = typeof input === 'object' && input !== null && (input as { mode?: unknown }).mode === 'hosted';
  const data = hosted
    ? { ...parseWith(hostedSchema(), input, 'createSubscription'), mode: 'hosted' as const }
    : { ...parseWith(embeddedSchema(), input, 'createSubscription'), mode: 'embedded' as const };
  for (const key of RESERVED_METADATA) {
    if (data.metadata && key in data.metadata) {
      throw new MarketplaceError('INVALID_INPUT', `createSubscription: metadata.${key} is set by the library`, {
        details: { param: `metadata.${key}` },
      });
    }
  }
  if (typeof data.price === 'object') {
    const info = assertChargeAmount(data.price.amount, data.price.currency, 'price.amount');
    return { ...data, price: { ...data.price, currency: info.code } };
  }
  return data;
}

type Validated = ReturnType<typeof validate>;

/** The price's terms: the caller's, or an existing price read from Stripe and checked before anything is created. */
async function priceTerms(ctx: Context, data: Validated) {
  if (typeof data.price === 'object') return { ...data.price, priceId: null };
  const id = data.price;
  const price = await callStripe('prices.retrieve', () => ctx.stripe.prices.retrieve(id));
  const interval = price.recurring?.interval as BillingInterval | undefined;
  if (!price.active || !interval || price.recurring?.usage_type === 'metered' || price.unit_amount == null) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `createSubscription: price "${id}" must be an active recurring price with a fixed unit amount (licensed, not metered or tiered)`,
      { details: { param: 'price' } },
    );
  }
  if (price.recurring?.interval_count !== 1) {
    throw new MarketplaceError('INVALID_INPUT', `createSubscription: price "${id}" must bill every single ${interval}`, {
      details: { param: 'price' },
    });
  }
  const info = assertChargeAmount(price.unit_amount, price.currency, 'price.unit_amount');
  return { amount: price.unit_amount, currency: info.code, interval, productName: undefined, priceId: price.id };
}

function assertNoConflict(record: SubscriptionRecord, data: Validated, terms: { amount: number; currency: string }): void {
  const differences: string[] = [];
  if (record.vendorId !== data.vendorId) differences.push(`vendorId "${record.vendorId}" -> "${data.vendorId}"`);
  if (record.mode !== data.mode) differences.push(`mode ${record.mode} -> ${data.mode}`);
  if (record.amount !== terms.amount) differences.push(`amount ${record.amount} -> ${terms.amount}`);
  if (record.currency !== terms.currency) differences.push(`currency ${record.currency} -> ${terms.currency}`);
  if (typeof data.customer === 'string' && record.customerId !== null && record.customerId !== data.customer)
    differences.push(`customer ${record.customerId} -> ${data.customer}`);
  if (typeof data.price === 'string' && record.priceId !== null && record.priceId !== data.price)
    differences.push(`price ${record.priceId} -> ${data.price}`);
  if (differences.length > 0) {
    throw new MarketplaceError(
      'SUBSCRIPTION_CONFLICT',
      `subscription "${record.subscriptionId}" already exists with different terms (${differences.join(', ')}); use a new subscriptionId`,
      { details: { subscriptionId: record.subscriptionId, differences } },
    );
  }
}

/** The idempotency key of each Stripe object one subscription creates. */
export function subscriptionIdempotencyKey(subscriptionId: string, step: 'customer' | 'price' | 'create'): string {
  return step === 'create' ? `subscription:${subscriptionId}` : `subscription:${subscriptionId}:${step}`;
}

export async function createSubscription(ctx: Context, input: CreateSubscriptionInput): Promise<CreateSubscriptionResult> {
  const data = validate(input);
  const stored = await getSubscription(ctx, data.subscriptionId);
  const terms = stored && typeof data.price === 'object' ? { ...data.price, priceId: null } : await priceTerms(ctx, data);
  let record: SubscriptionRecord;
  if (stored) {
    assertNoConflict(stored, data, terms);
    record = stored;
  } else {
    const vendor = await requireReadyVendor(ctx, data.vendorId);
    const metadata = data.metadata ?? {};
    // Prices the policy once before Stripe is called: a policy with no fee for this currency fails here.
    await askCommission(ctx, {
      amount: terms.amount,
      currency: terms.currency,
      vendorId: vendor.vendorId,
      accountId: vendor.accountId,
      orderId: data.subscriptionId,
      subscriptionId: data.subscriptionId,
      metadata,
    });
    const percent = applicationFeePercentFor(ctx.commission, terms.currency);
    const now = ctx.now();
    const inserted = await insertSubscription(ctx, {
      subscriptionId: data.subscriptionId,
      vendorId: vendor.vendorId,
      accountId: vendor.accountId,
      mode: data.mode,
      amount: terms.amount,
      currency: terms.currency,
      interval: terms.interval,
      trialDays: data.trialDays ?? null,
      feeMode: percent === null ? 'per_invoice' : 'application_fee_percent',
      applicationFeePercent: percent,
      customerId: typeof data.customer === 'string' ? data.customer : null,
      priceId: terms.priceId,
      stripeSubscriptionId: null,
      checkoutSessionId: null,
      status: 'pending',
      cancelAtPeriodEnd: false,
      pauseCollection: null,
      currentPeriodEnd: null,
      endedAt: null,
      metadata,
      createdAt: now,
      updatedAt: now,
    });
    record = inserted.subscription;
    if (!inserted.created) assertNoConflict(record, data, terms);
  }
  // Every Stripe object below is created with a key derived from the subscription id, from the stored terms.
  record = await ensureCustomer(ctx, record, data);
  record = await ensurePrice(ctx, record, data);
  return record.mode === 'hosted' ? hostedSubscription(ctx, record, data) : embeddedSubscription(ctx, record);
}

async function remember(
  ctx: Context,
  record: SubscriptionRecord,
  patch: Partial<SubscriptionRecord>,
): Promise<SubscriptionRecord> {
  const now = ctx.now();
  const keys = Object.keys(patch) as (keyof SubscriptionRecord)[];
  const result = await mutateSubscription(ctx, record.subscriptionId, (current) =>
    keys.every((key) => current[key] === patch[key]) ? null : { ...current, ...patch, updatedAt: now },
  );
  return result.record ?? record;
}

async function ensureCustomer(ctx: Context, record: SubscriptionRecord, data: Validated): Promise<SubscriptionRecord> {
  if (record.customerId !== null || typeof data.customer === 'string') {
    return record.customerId !== null ? record : remember(ctx, record, { customerId: data.customer as string });
  }
  const { email, name } = data.customer;
  const customer = await callStripe('customers.create', () =>
    ctx.stripe.customers.create(
      { email, ...(name ? { name } : {}), metadata: { subscription_id: record.subscriptionId, vendor_id: record.vendorId } },
      { idempotencyKey: subscriptionIdempotencyKey(record.subscriptionId, 'customer') },
    ),
  );
  return remember(ctx, record, { customerId: customer.id });
}

async function ensurePrice(ctx: Context, record: SubscriptionRecord, data: Validated): Promise<SubscriptionRecord> {
  if (record.priceId !== null) return record;
  if (typeof data.price === 'string') return remember(ctx, record, { priceId: data.price });
  const name = data.price.productName ?? 'Subscription';
  const price = await callStripe('prices.create', () =>
    ctx.stripe.prices.create(
      {
        currency: record.currency,
        unit_amount: record.amount,
        recurring: { interval: record.interval },
        product_data: { name },
        metadata: { subscription_id: record.subscriptionId },
      },
      { idempotencyKey: subscriptionIdempotencyKey(record.subscriptionId, 'price') },
    ),
  );
  return remember(ctx, record, { priceId: price.id });
}

function stripeMetadata(record: SubscriptionRecord): Record<string, string> {
  return { ...record.metadata, subscription_id: record.subscriptionId, vendor_id: record.vendorId };
}

/** The subscription's Connect terms: the vendor as destination, and the fee when Stripe can apply it itself. */
function connectTerms(record: SubscriptionRecord) {
  return {
    transfer_data: { destination: record.accountId },
    ...(record.applicationFeePercent !== null ? { application_fee_percent: record.applicationFeePercent } : {}),
    ...(record.trialDays !== null ? { trial_period_days: record.trialDays } : {}),
    metadata: stripeMetadata(record),
  };
}

const EXPAND = ['latest_invoice.confirmation_secret', 'pending_setup_intent'];

/**
 * A subscription this id already made, when its creation was not recorded (storage failed after Stripe answered) and
 * the idempotency key may have expired (Stripe keeps keys about 24 hours): found among the customer's subscriptions by
 * the `subscription_id` the library puts in their metadata, so that a retry never subscribes the customer twice.
 */
async function madeBefore(ctx: Context, record: SubscriptionRecord): Promise<string | null> {
  const customer = record.customerId as string;
  const list = await callStripe('subscriptions.list', () =>
    ctx.stripe.subscriptions.list({ customer, status: 'all', limit: 100 }),
  );
  return list.data.find((s) => s.metadata?.subscription_id === record.subscriptionId)?.id ?? null;
}

async function embeddedSubscription(ctx: Context, record: SubscriptionRecord): Promise<EmbeddedSubscriptionResult> {
  let subscription: Stripe.Subscription;
  const id = record.stripeSubscriptionId ?? (await madeBefore(ctx, record));
  if (id) {
    subscription = await callStripe('subscriptions.retrieve', () => ctx.stripe.subscriptions.retrieve(id, { expand: EXPAND }));
  } else {
    subscription = await callStripe('subscriptions.create', () =>
      ctx.stripe.subscriptions.create(
        {
          customer: record.customerId as string,
          items: [{ price: record.priceId as string }],
          payment_behavior: 'default_incomplete',
          payment_settings: { save_default_payment_method: 'on_subscription' },
          expand: EXPAND,
          ...connectTerms(record),
        },
        { idempotencyKey: subscriptionIdempotencyKey(record.subscriptionId, 'create') },
      ),
    );
  }
  const now = ctx.now();
  const updated =
    (await mutateSubscription(ctx, record.subscriptionId, (current) => decideSubscription(current, subscription, now))).record ??
    record;
  const invoice = subscription.latest_invoice as Stripe.Invoice | string | null;
  const setup = subscription.pending_setup_intent as Stripe.SetupIntent | string | null;
  const invoiceSecret =
    typeof invoice === 'object' && invoice?.status === 'open' ? invoice.confirmation_secret?.client_secret : null;
  const setupSecret = typeof setup === 'object' && setup ? setup.client_secret : null;
  return {
    ...(await resultOf(ctx, updated)),
    mode: 'embedded',
    stripeSubscriptionId: subscription.id,
    clientSecret: invoiceSecret ?? setupSecret ?? null,
  };
}

async function hostedSubscription(ctx: Context, record: SubscriptionRecord, data: Validated): Promise<HostedSubscriptionResult> {
  let session: Stripe.Checkout.Session;
  if (record.checkoutSessionId) {
    const id = record.checkoutSessionId;
    session = await callStripe('checkout.sessions.retrieve', () => ctx.stripe.checkout.sessions.retrieve(id));
  } else {
    if (data.mode !== 'hosted') throw new Error('unreachable');
    session = await callStripe('checkout.sessions.create', () =>
      ctx.stripe.checkout.sessions.create(
        {
          mode: 'subscription',
          customer: record.customerId as string,
          line_items: [{ price: record.priceId as string, quantity: 1 }],
          success_url: data.successUrl,
          cancel_url: data.cancelUrl,
          client_reference_id: record.subscriptionId,
          metadata: stripeMetadata(record),
          subscription_data: connectTerms(record),
        },
        { idempotencyKey: subscriptionIdempotencyKey(record.subscriptionId, 'create') },
      ),
    );
  }
  const updated = await remember(ctx, record, { checkoutSessionId: session.id });
  return { ...(await resultOf(ctx, updated)), mode: 'hosted', sessionId: session.id, url: session.url ?? null };
}

async function resultOf(ctx: Context, record: SubscriptionRecord): Promise<SubscriptionResultCommon> {
  // The policy was checked on these terms when the record was made.
  const fee = await askCommission(ctx, {
    amount: record.amount,
    currency: record.currency,
    vendorId: record.vendorId,
    accountId: record.accountId,
    orderId: record.subscriptionId,
    subscriptionId: record.subscriptionId,
    metadata: record.metadata,
  });
  return {
    subscriptionId: record.subscriptionId,
    vendorId: record.vendorId,
    accountId: record.accountId,
    customerId: record.customerId as string,
    priceId: record.priceId as string,
    amount: record.amount,
    currency: record.currency,
    interval: record.interval,
    applicationFeeAmount: fee,
    vendorAmount: record.amount - fee,
    feeMode: record.feeMode,
    applicationFeePercent: record.applicationFeePercent,
    status: record.status,
  };
}
