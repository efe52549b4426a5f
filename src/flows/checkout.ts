import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';
import { askCommission, type Context } from '../context.js';
import { assertChargeAmount, MAX_AMOUNT } from '../core/money/currencies.js';
import type { OrderRecord, OrderStatus, StripeCreateRequest } from '../core/records.js';
import { newOrder } from '../core/orders.js';
import { assertSamePayment, paymentRequest, payOnce } from '../services/payments.js';
import { requireReadyVendor } from '../services/vendors.js';
import { lazy, parseWith } from '../util/validate.js';
import { checkoutMetadataSchema, idSchema, refuseForbiddenKeys, textSchema, webUrlSchema } from '../util/schemas.js';

interface CheckoutCommon {
  /** The platform's id for the order. One order id is one payment: repeating a call returns the same payment. */
  orderId: string;
  /** The vendor who receives the money (minus the commission). */
  vendorId: string;
  /** Lower-case or upper-case ISO code. */
  currency: string;
  /** String metadata stored on the order and sent to Stripe (alongside `order_id` and `vendor_id`). */
  metadata?: Record<string, string>;
  /** Prefills the customer's email (Checkout) or sets the receipt email (PaymentIntent). */
  customerEmail?: string;
  /**
   * Makes the vendor the merchant of record (`on_behalf_of`). The vendor's account then needs the
   * `card_payments` capability, which `onboardVendor` does not request.
   */
  onBehalfOf?: boolean;
}

/** An embedded checkout: a PaymentIntent confirmed in the browser with the Payment Element. */
export interface EmbeddedCheckoutInput extends CheckoutCommon {
  mode?: 'embedded';
  /** The charge amount in the currency's minor unit (2000 = £20.00; 5000 = ¥5000). */
  amount: number;
  description?: string;
}

export interface LineItem {
  name: string;
  /** Unit price in the currency's minor unit. */
  unitAmount: number;
  quantity: number;
}

/** A hosted checkout: a Stripe Checkout Session the customer is redirected to. */
export interface HostedCheckoutInput extends CheckoutCommon {
  mode: 'hosted';
  lineItems: LineItem[];
  successUrl: string;
  cancelUrl: string;
}

export type CheckoutInput = EmbeddedCheckoutInput | HostedCheckoutInput;

interface CheckoutResultCommon {
  orderId: string;
  /** The vendor's connected account that receives the transfer. */
  accountId: string;
  /** The charge amount in minor units. */
  amount: number;
  currency: string;
  /** The platform's commission, sent as `application_fee_amount`. */
  applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`. */
  vendorAmount: number;
  /** The order's status in storage. */
  status: OrderStatus;
}

export interface EmbeddedCheckoutResult extends CheckoutResultCommon {
  mode: 'embedded';
  paymentIntentId: string;
  /** Pass to Stripe.js (`elements({ clientSecret })`). Do not log or store it. */
  clientSecret: string;
}

export interface HostedCheckoutResult extends CheckoutResultCommon {
  mode: 'hosted';
  /** Stripe creates the PaymentIntent when the customer pays; until then this is null. */
  paymentIntentId: string | null;
  sessionId: string;
  /** The Checkout page. Null when the session is already complete or expired (a repeated call after payment). */
  url: string | null;
}

export type CheckoutResult = EmbeddedCheckoutResult | HostedCheckoutResult;

export { MAX_METADATA_KEYS } from '../util/schemas.js';
export { checkoutIdempotencyKey } from '../services/payments.js';

const commonShape = () => ({
  orderId: idSchema(),
  vendorId: idSchema(),
  currency: z.string(),
  metadata: checkoutMetadataSchema(),
  customerEmail: z.optional(z.string().check(z.email())),
  onBehalfOf: z.optional(z.boolean()),
});

const embeddedSchema = lazy(() =>
  z.strictObject({
    ...commonShape(),
    mode: z.optional(z.literal('embedded')),
    amount: z.number(),
    description: z.optional(textSchema(1000)),
  }),
);

const hostedSchema = lazy(() =>
  z.strictObject({
    ...commonShape(),
    mode: z.literal('hosted'),
    lineItems: z
      .array(
        z.strictObject({
          name: textSchema(250, 1),
          unitAmount: z.number(),
          quantity: z.number(),
        }),
      )
      .check(z.minLength(1), z.maxLength(100)),
    successUrl: webUrlSchema(),
    cancelUrl: webUrlSchema(),
  }),
);

const RESERVED_METADATA = ['order_id', 'vendor_id'];

function validate(input: CheckoutInput) {
  refuseForbiddenKeys((input as { metadata?: unknown } | null)?.metadata, 'createCheckout: metadata');
  const isHosted = typeof input === 'object' && input !== null && (input as { mode?: unknown }).mode === 'hosted';
  if (isHosted) {
    const data = parseWith(hostedSchema(), input, 'createCheckout');
    data.lineItems.forEach((item, i) => {
      if (!Number.isSafeInteger(item.unitAmount) || item.unitAmount <= 0) {
        throw new MarketplaceError(
          'INVALID_INPUT',
          `createCheckout: lineItems.${i}.unitAmount must be a positive integer in minor units`,
          {
            details: { param: `lineItems.${i}.unitAmount` },
          },
        );
      }
      if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
        throw new MarketplaceError('INVALID_INPUT', `createCheckout: lineItems.${i}.quantity must be a positive integer`, {
          details: { param: `lineItems.${i}.quantity` },
        });
      }
      if (item.unitAmount * item.quantity > MAX_AMOUNT) {
        throw new MarketplaceError('INVALID_INPUT', `createCheckout: lineItems.${i} totals more than Stripe's 8-digit limit`, {
          details: { param: `lineItems.${i}` },
        });
      }
    });
    const amount = data.lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    const info = assertChargeAmount(amount, data.currency, 'the line items total');
    for (const [i, item] of data.lineItems.entries()) {
      if (item.unitAmount % info.multipleOf !== 0) {
        throw new MarketplaceError(
          'INVALID_INPUT',
          `createCheckout: lineItems.${i}.unitAmount must be a multiple of ${info.multipleOf} in ${info.code.toUpperCase()}`,
          {
            details: { param: `lineItems.${i}.unitAmount` },
          },
        );
      }
    }
    return { ...data, mode: 'hosted' as const, amount, currency: info.code };
  }
  const data = parseWith(embeddedSchema(), input, 'createCheckout');
  const info = assertChargeAmount(data.amount, data.currency);
  return { ...data, mode: 'embedded' as const, currency: info.code };
}

type Validated = ReturnType<typeof validate>;

function assertNoConflict(order: OrderRecord, data: Validated): void {
  const differences: string[] = [];
  if (order.chargeType !== 'destination') differences.push('a cart -> a single-vendor order');
  if (order.mode !== data.mode) differences.push(`mode ${order.mode} -> ${data.mode}`);
  if (order.amount !== data.amount) differences.push(`amount ${order.amount} -> ${data.amount}`);
  if (order.currency !== data.currency) differences.push(`currency ${order.currency} -> ${data.currency}`);
  if (order.vendorId !== data.vendorId) differences.push(`vendorId "${order.vendorId}" -> "${data.vendorId}"`);
  assertSamePayment(order, differences, {
    metadata: data.metadata ?? {},
    description: data.mode === 'embedded' ? (data.description ?? null) : null,
    request: () => requestFor(order, data),
  });
}

export async function createCheckout(ctx: Context, input: CheckoutInput): Promise<CheckoutResult> {
  const data = validate(input);
  const userMetadata = data.metadata ?? {};
  for (const key of RESERVED_METADATA) {
    if (key in userMetadata) {
      throw new MarketplaceError('INVALID_INPUT', `createCheckout: metadata.${key} is set by the library`, {
        details: { param: `metadata.${key}` },
      });
    }
  }

  // One payment per order id: the order and its exact request are stored before Stripe is called, and every retry
  // sends the stored request with the same key, so Stripe creates one payment.
  return payOnce(ctx, data.orderId, {
    assertSame: (order) => assertNoConflict(order, data),
    async newOrder() {
      const vendor = await requireReadyVendor(ctx, data.vendorId);
      const fee = await askCommission(ctx, {
        amount: data.amount,
        currency: data.currency,
        vendorId: vendor.vendorId,
        accountId: vendor.accountId,
        orderId: data.orderId,
        metadata: userMetadata,
      });
      const description = data.mode === 'embedded' ? (data.description ?? null) : null;
      return newOrder({
        orderId: data.orderId,
        mode: data.mode,
        chargeType: 'destination',
        currency: data.currency,
        items: [
          {
            vendorId: vendor.vendorId,
            accountId: vendor.accountId,
            amount: data.amount,
            applicationFeeAmount: fee,
            vendorAmount: data.amount - fee,
            description,
          },
        ],
        description,
        metadata: userMetadata,
        now: ctx.now(),
      });
    },
    request: (order) => requestFor(order, data),
    results: RESULTS,
  });
}

function orderMetadata(order: OrderRecord): Record<string, string> {
  return { ...order.metadata, order_id: order.orderId, vendor_id: order.vendorId };
}

/** The request that creates the order's payment: the stored order's terms and the call's own fields. */
function requestFor(order: OrderRecord, data: Validated): StripeCreateRequest {
  return data.mode === 'hosted'
    ? paymentRequest(sessionParams(order, data), 'hosted')
    : paymentRequest(intentParams(order, data), 'embedded');
}

function intentParams(order: OrderRecord, data: Validated): Stripe.PaymentIntentCreateParams {
  const params: Stripe.PaymentIntentCreateParams = {
    amount: order.amount,
    currency: order.currency,
    application_fee_amount: order.applicationFeeAmount,
    transfer_data: { destination: order.accountId },
    automatic_payment_methods: { enabled: true },
    metadata: orderMetadata(order),
  };
  if (order.description) params.description = order.description;
  if (data.customerEmail) params.receipt_email = data.customerEmail;
  if (data.onBehalfOf) params.on_behalf_of = order.accountId;
  return params;
}

function sessionParams(order: OrderRecord, data: Validated): Stripe.Checkout.SessionCreateParams {
  if (data.mode !== 'hosted') throw new Error('unreachable');
  const paymentIntentData: Stripe.Checkout.SessionCreateParams.PaymentIntentData = {
    application_fee_amount: order.applicationFeeAmount,
    transfer_data: { destination: order.accountId },
    metadata: orderMetadata(order),
  };
  if (data.onBehalfOf) paymentIntentData.on_behalf_of = order.accountId;
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    line_items: data.lineItems.map((item) => ({
      price_data: { currency: order.currency, unit_amount: item.unitAmount, product_data: { name: item.name } },
      quantity: item.quantity,
    })),
    success_url: data.successUrl,
    cancel_url: data.cancelUrl,
    client_reference_id: order.orderId,
    metadata: orderMetadata(order),
    payment_intent_data: paymentIntentData,
  };
  if (data.customerEmail) params.customer_email = data.customerEmail;
  return params;
}

/**
 * The order's part of a checkout result, with `fields` added by assignment: spreading one object into
 * another cost about 4 us per createCheckout (Node 20), as much as the rest of the call's own work.
 */
function result<T extends CheckoutResult>(order: OrderRecord, fields: Omit<T, keyof CheckoutResultCommon>): T {
  const out: CheckoutResultCommon = {
    orderId: order.orderId,
    accountId: order.accountId,
    amount: order.amount,
    currency: order.currency,
    applicationFeeAmount: order.applicationFeeAmount,
    vendorAmount: order.vendorAmount,
    status: order.status,
  };
  return Object.assign(out, fields) as T;
}

function embeddedResult(order: OrderRecord, intent: Stripe.PaymentIntent): EmbeddedCheckoutResult {
  if (!intent.client_secret) {
    throw new MarketplaceError('STRIPE_ERROR', `PaymentIntent ${intent.id} came back without a client_secret`);
  }
  return result<EmbeddedCheckoutResult>(order, {
    mode: 'embedded',
    paymentIntentId: intent.id,
    clientSecret: intent.client_secret,
  });
}

function hostedResult(order: OrderRecord, session: Stripe.Checkout.Session): HostedCheckoutResult {
  const pi = session.payment_intent;
  return result<HostedCheckoutResult>(order, {
    mode: 'hosted',
    paymentIntentId: typeof pi === 'string' ? pi : (pi?.id ?? order.paymentIntentId),
    sessionId: session.id,
    url: session.url ?? null,
  });
}

const RESULTS = { embedded: embeddedResult, hosted: hostedResult };
