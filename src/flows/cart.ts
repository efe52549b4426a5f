import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';
import { askCommission, type Context } from '../context.js';
import { assertChargeAmount, currencyInfo, MAX_AMOUNT } from '../core/money/currencies.js';
import type { OrderItem, OrderRecord, OrderStatus, StripeCreateRequest, VendorRecord } from '../core/records.js';
import { newOrder } from '../core/orders.js';
import { cartTransferGroup } from '../core/transfers.js';
import { assertSamePayment, paymentRequest, payOnce } from '../services/payments.js';
import { requireVendor } from '../services/vendors.js';
import { lazy, parseWith } from '../util/validate.js';
import { checkoutMetadataSchema, idSchema, refuseForbiddenKeys, textSchema, webUrlSchema } from '../util/schemas.js';

/** One line of a cart: what one vendor sells in it. */
export interface CartItemInput {
  /** The vendor who receives this item's money (minus the commission). A vendor appears at most once per cart. */
  vendorId: string;
  /** The item's amount in the currency's minor unit. */
  amount: number;
  /** Shown to the customer (the line item's name on the hosted page, which requires it). */
  description?: string;
  /** When given, it must be the cart's currency: a cart is charged in one currency. */
  currency?: string;
}

interface CartCheckoutCommon {
  /** The platform's id for the order. One order id is one payment: repeating a call returns the same payment. */
  orderId: string;
  /** The cart's currency (lower-case or upper-case ISO code). */
  currency: string;
  /** The cart's items, one per vendor, at most 100. */
  items: CartItemInput[];
  /** String metadata stored on the order and sent to Stripe (alongside `order_id`). */
  metadata?: Record<string, string>;
  /** Prefills the customer's email (Checkout) or sets the receipt email (PaymentIntent). */
  customerEmail?: string;
}

/** A cart paid with a PaymentIntent confirmed in the browser with the Payment Element. */
export interface EmbeddedCartCheckoutInput extends CartCheckoutCommon {
  mode?: 'embedded';
  description?: string;
}

/** A cart paid on a Stripe Checkout page: each item is one line item named by its `description`. */
export interface HostedCartCheckoutInput extends CartCheckoutCommon {
  mode: 'hosted';
  successUrl: string;
  cancelUrl: string;
}

export type CartCheckoutInput = EmbeddedCartCheckoutInput | HostedCartCheckoutInput;

interface CartCheckoutResultCommon {
  orderId: string;
  /** The charge amount in minor units: the sum of the items' amounts. */
  amount: number;
  currency: string;
  /** The platform's commission: the sum of the items' fees. It stays on the platform (no transfer carries it). */
  applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`: what the transfers to the vendors add up to. */
  vendorAmount: number;
  /** Each item with its vendor's account, fee and vendor amount (`amount = applicationFeeAmount + vendorAmount`). */
  items: OrderItem[];
  /** The PaymentIntent's `transfer_group`, which every transfer of the cart carries: the order id. */
  transferGroup: string;
  /** The order's status in storage. */
  status: OrderStatus;
}

export interface EmbeddedCartCheckoutResult extends CartCheckoutResultCommon {
  mode: 'embedded';
  paymentIntentId: string;
  /** Pass to Stripe.js (`elements({ clientSecret })`). Do not log or store it. */
  clientSecret: string;
}

export interface HostedCartCheckoutResult extends CartCheckoutResultCommon {
  mode: 'hosted';
  /** Stripe creates the PaymentIntent when the customer pays; until then this is null. */
  paymentIntentId: string | null;
  sessionId: string;
  /** The Checkout page. Null when the session is already complete or expired. */
  url: string | null;
}

export type CartCheckoutResult = EmbeddedCartCheckoutResult | HostedCartCheckoutResult;

/** True when `createCheckout` was given a cart (`items`) rather than one vendor's charge. */
export function isCartInput(input: unknown): input is CartCheckoutInput {
  return typeof input === 'object' && input !== null && 'items' in input;
}

/** The most items a cart may have: a Checkout Session takes at most 100 line items. */
export const MAX_CART_ITEMS = 100;

const itemSchema = () =>
  z.strictObject({
    vendorId: idSchema(),
    amount: z.number(),
    description: z.optional(textSchema(250, 1)),
    currency: z.optional(z.string()),
  });

const commonShape = () => ({
  orderId: idSchema(),
  currency: z.string(),
  items: z.array(itemSchema()),
  metadata: checkoutMetadataSchema(),
  customerEmail: z.optional(z.string().check(z.email())),
});

const embeddedSchema = lazy(() =>
  z.strictObject({ ...commonShape(), mode: z.optional(z.literal('embedded')), description: z.optional(textSchema(1000)) }),
);

const hostedSchema = lazy(() =>
  z.strictObject({ ...commonShape(), mode: z.literal('hosted'), successUrl: webUrlSchema(), cancelUrl: webUrlSchema() }),
);

const RESERVED_METADATA = ['order_id', 'vendor_id'];

function invalidCart(message: string, details: Record<string, unknown>): MarketplaceError {
  return new MarketplaceError('INVALID_CART', `createCheckout: ${message}`, { details });
}

/** Checks the cart's shape and money before anything is read or sent: every refusal here happens before Stripe. */
function validate(input: CartCheckoutInput) {
  refuseForbiddenKeys((input as { metadata?: unknown } | null)?.metadata, 'createCheckout: metadata');
  if (typeof input === 'object' && input !== null && (input as { mode?: unknown }).mode === 'hosted') {
    const data = parseWith(hostedSchema(), input, 'createCheckout');
    return { ...data, ...checkCart(data, true), mode: 'hosted' as const };
  }
  const data = parseWith(embeddedSchema(), input, 'createCheckout');
  return { ...data, ...checkCart(data, false), mode: 'embedded' as const };
}

interface ParsedCart {
  currency: string;
  items: { vendorId: string; amount: number; description?: string; currency?: string }[];
  metadata?: Record<string, string>;
}

function checkCart(data: ParsedCart, hosted: boolean) {
  for (const key of RESERVED_METADATA) {
    if (data.metadata && key in data.metadata) {
      throw new MarketplaceError('INVALID_INPUT', `createCheckout: metadata.${key} is set by the library`, {
        details: { param: `metadata.${key}` },
      });
    }
  }
  if (data.items.length === 0) throw invalidCart('the cart is empty; give at least one item', { param: 'items' });
  if (data.items.length > MAX_CART_ITEMS) {
    throw invalidCart(`a cart has at most ${MAX_CART_ITEMS} items, got ${data.items.length}`, { param: 'items' });
  }
  const info = currencyInfo(data.currency);
  const seen = new Map<string, number>();
  let total = 0;
  data.items.forEach((item, i) => {
    if (item.currency !== undefined && item.currency.toLowerCase() !== data.currency.toLowerCase()) {
      throw invalidCart(
        `items.${i}.currency ${item.currency} differs from the cart's ${data.currency}; a cart is charged in one currency`,
        {
          param: `items.${i}.currency`,
        },
      );
    }
    const first = seen.get(item.vendorId);
    if (first !== undefined) {
      throw invalidCart(
        `vendor "${item.vendorId}" appears in items.${first} and items.${i}; give one item per vendor (add up that vendor's lines into one item)`,
        { param: `items.${i}.vendorId`, vendorId: item.vendorId },
      );
    }
    seen.set(item.vendorId, i);
    if (!Number.isSafeInteger(item.amount) || item.amount <= 0) {
      throw new MarketplaceError('INVALID_INPUT', `createCheckout: items.${i}.amount must be a positive integer in minor units`, {
        details: { param: `items.${i}.amount` },
      });
    }
    if (info && item.amount % info.multipleOf !== 0) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        `createCheckout: items.${i}.amount must be a multiple of ${info.multipleOf} in ${info.code.toUpperCase()}`,
        { details: { param: `items.${i}.amount` } },
      );
    }
    if (hosted && item.description === undefined) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        `createCheckout: items.${i}.description is required in hosted mode (the line item's name)`,
        {
          details: { param: `items.${i}.description` },
        },
      );
    }
    total += item.amount;
  });
  if (total > MAX_AMOUNT) {
    throw invalidCart(`the items total ${total}, more than Stripe's limit of ${MAX_AMOUNT} (8 digits)`, {
      param: 'items',
      total,
    });
  }
  const checked = assertChargeAmount(total, data.currency, 'the items total');
  return { amount: total, currency: checked.code, metadata: data.metadata ?? {} };
}

type Validated = ReturnType<typeof validate>;

/** The vendors of the cart, in item order: each must exist, and must not be rejected or disconnected. */
async function cartVendors(ctx: Context, data: Validated): Promise<VendorRecord[]> {
  const vendors: VendorRecord[] = [];
  for (const item of data.items) {
    const vendor = await requireVendor(ctx, item.vendorId);
    if (vendor.status === 'rejected' || vendor.status === 'disconnected') {
      throw new MarketplaceError(
        'VENDOR_NOT_READY',
        `vendor "${vendor.vendorId}" is ${vendor.status} and can never receive a transfer`,
        {
          details: { vendorId: vendor.vendorId, status: vendor.status },
        },
      );
    }
    vendors.push(vendor);
  }
  return vendors;
}

/** Asks the commission policy once per item, and returns the items with their fees. */
async function priceItems(ctx: Context, data: Validated, vendors: readonly VendorRecord[]): Promise<OrderItem[]> {
  const items: OrderItem[] = [];
  for (const [index, item] of data.items.entries()) {
    const vendor = vendors[index] as VendorRecord;
    const description = item.description ?? null;
    const fee = await askCommission(ctx, {
      amount: item.amount,
      currency: data.currency,
      vendorId: vendor.vendorId,
      accountId: vendor.accountId,
      orderId: data.orderId,
      metadata: data.metadata,
      item: { index, count: data.items.length, description },
    });
    items.push({
      vendorId: vendor.vendorId,
      accountId: vendor.accountId,
      amount: item.amount,
      applicationFeeAmount: fee,
      vendorAmount: item.amount - fee,
      description,
    });
  }
  return items;
}

function assertNoConflict(order: OrderRecord, data: Validated): void {
  const differences: string[] = [];
  if (order.chargeType !== 'separate') differences.push('a single-vendor order -> a cart');
  if (order.mode !== data.mode) differences.push(`mode ${order.mode} -> ${data.mode}`);
  if (order.currency !== data.currency) differences.push(`currency ${order.currency} -> ${data.currency}`);
  if (order.amount !== data.amount) differences.push(`amount ${order.amount} -> ${data.amount}`);
  const stored = order.items.map((i) => `${i.vendorId}=${i.amount}`).join(',');
  const asked = data.items.map((i) => `${i.vendorId}=${i.amount}`).join(',');
  if (stored !== asked) differences.push(`items ${stored} -> ${asked}`);
  assertSamePayment(order, differences, {
    metadata: data.metadata,
    description: data.mode === 'embedded' ? (data.description ?? null) : null,
    request: () => requestFor(order, data),
  });
}

/**
 * Creates (once per `orderId`) the payment of a cart with items from several vendors: one PaymentIntent or
 * Checkout Session on the platform, with `transfer_group` set to the order id. The commission policy prices
 * each item; after the payment succeeds, each vendor gets one transfer (see `settleTransfers`).
 */
export async function createCartCheckout(ctx: Context, input: CartCheckoutInput): Promise<CartCheckoutResult> {
  const data = validate(input);
  return payOnce(ctx, data.orderId, {
    assertSame: (order) => assertNoConflict(order, data),
    async newOrder() {
      const vendors = await cartVendors(ctx, data);
      const items = await priceItems(ctx, data, vendors);
      return newOrder({
        orderId: data.orderId,
        mode: data.mode,
        chargeType: 'separate',
        currency: data.currency,
        items,
        description: data.mode === 'embedded' ? (data.description ?? null) : null,
        metadata: data.metadata,
        now: ctx.now(),
      });
    },
    request: (order) => requestFor(order, data),
    results: RESULTS,
  });
}

function orderMetadata(order: OrderRecord): Record<string, string> {
  return { ...order.metadata, order_id: order.orderId };
}

function intentParams(order: OrderRecord, data: Validated): Stripe.PaymentIntentCreateParams {
  // Separate charges and transfers: no application fee and no destination; the platform keeps the charge
  // and transfers each vendor's share afterwards (https://docs.stripe.com/connect/separate-charges-and-transfers).
  const params: Stripe.PaymentIntentCreateParams = {
    amount: order.amount,
    currency: order.currency,
    transfer_group: cartTransferGroup(order.orderId),
    automatic_payment_methods: { enabled: true },
    metadata: orderMetadata(order),
  };
  if (order.description) params.description = order.description;
  if (data.customerEmail) params.receipt_email = data.customerEmail;
  return params;
}

function sessionParams(order: OrderRecord, data: Validated): Stripe.Checkout.SessionCreateParams {
  if (data.mode !== 'hosted') throw new Error('unreachable');
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    line_items: order.items.map((item) => ({
      price_data: {
        currency: order.currency,
        unit_amount: item.amount,
        product_data: { name: item.description ?? item.vendorId },
      },
      quantity: 1,
    })),
    success_url: data.successUrl,
    cancel_url: data.cancelUrl,
    client_reference_id: order.orderId,
    metadata: orderMetadata(order),
    payment_intent_data: { transfer_group: cartTransferGroup(order.orderId), metadata: orderMetadata(order) },
  };
  if (data.customerEmail) params.customer_email = data.customerEmail;
  return params;
}

/** The request that creates the cart's payment: the stored order's terms and the call's own fields. */
function requestFor(order: OrderRecord, data: Validated): StripeCreateRequest {
  return data.mode === 'hosted'
    ? paymentRequest(sessionParams(order, data), 'hosted')
    : paymentRequest(intentParams(order, data), 'embedded');
}

function common(order: OrderRecord): CartCheckoutResultCommon {
  return {
    orderId: order.orderId,
    amount: order.amount,
    currency: order.currency,
    applicationFeeAmount: order.applicationFeeAmount,
    vendorAmount: order.vendorAmount,
    items: order.items.map((item) => ({ ...item })),
    transferGroup: cartTransferGroup(order.orderId),
    status: order.status,
  };
}

function embeddedResult(order: OrderRecord, intent: Stripe.PaymentIntent): EmbeddedCartCheckoutResult {
  if (!intent.client_secret) {
    throw new MarketplaceError('STRIPE_ERROR', `PaymentIntent ${intent.id} came back without a client_secret`);
  }
  return { ...common(order), mode: 'embedded', paymentIntentId: intent.id, clientSecret: intent.client_secret };
}

function hostedResult(order: OrderRecord, session: Stripe.Checkout.Session): HostedCartCheckoutResult {
  const pi = session.payment_intent;
  return {
    ...common(order),
    mode: 'hosted',
    paymentIntentId: typeof pi === 'string' ? pi : (pi?.id ?? order.paymentIntentId),
    sessionId: session.id,
    url: session.url ?? null,
  };
}

const RESULTS = { embedded: embeddedResult, hosted: hostedResult };
