import type Stripe from 'stripe';
import * as z from 'zod/mini';
import { type Context, callStripe } from '../context.js';
import { reserveRefund, openRefund, refundStatusOf, releaseRefund } from '../core/projectors/refund.js';
import type { OrderRecord, RefundHold, RefundRecord } from '../core/records.js';
import { currencyInfo } from '../core/money/currencies.js';
import { MarketplaceError } from '../errors.js';
import { getOrder, mutateOrder } from '../services/orders.js';
import { insertRecord } from '../services/records.js';
import { transfersOfOrder } from '../services/transfers.js';
import { REFUND } from '../core/records.js';
import {
  getRefund,
  listRefunds,
  moveRefundMoney,
  mutateRefund,
  refundIdempotencyKey,
  restoreVendors,
} from '../services/refunds.js';
import { idSchema, metadataKeySchema, refuseForbiddenKeys, textSchema } from '../util/schemas.js';
import { lazy, parseWith } from '../util/validate.js';

export interface RefundInput {
  /** The platform's id for the order. */
  orderId: string;
  /** The platform's id for this refund: the same id again is the same refund. At most 40 characters. */
  refundId: string;
  /** In minor units; defaults to all that is left to refund. On a cart, spread over its items in proportion. */
  amount?: number;
  /**
   * A cart only (instead of `amount`): the items refunded, by vendor, each with its amount (default: all that is
   * left of that item). Each vendor's transfer is reversed by the refund policy's share of its part.
   */
  items?: { vendorId: string; amount?: number }[];
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  /** Stored on the refund record and sent to Stripe (alongside `order_id` and `refund_id`). */
  metadata?: Record<string, string>;
}

/** Stripe allows 50 metadata keys; the library adds `order_id` and `refund_id`. */
const MAX_REFUND_METADATA_KEYS = 48;
/** Stripe's idempotency keys are at most 255 characters; the longest the library derives is `refund:<o>:<r>:restore:<n>`. */
const MAX_REFUND_ID_LENGTH = 40;

const refundSchema = lazy(() =>
  z.strictObject({
    orderId: idSchema(),
    refundId: idSchema().check(z.maxLength(MAX_REFUND_ID_LENGTH)),
    amount: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(99_999_999))),
    items: z.optional(
      z
        .array(
          z.strictObject({
            vendorId: idSchema(),
            amount: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(99_999_999))),
          }),
        )
        .check(z.minLength(1), z.maxLength(100)),
    ),
    reason: z.optional(z.enum(['duplicate', 'fraudulent', 'requested_by_customer'])),
    metadata: z.optional(
      z.record(metadataKeySchema(), textSchema(500)).check(
        z.refine((value) => Object.keys(value).length <= MAX_REFUND_METADATA_KEYS, {
          message: `at most ${MAX_REFUND_METADATA_KEYS} keys (Stripe allows 50, and the library adds order_id and refund_id)`,
        }),
        z.refine((value) => !('order_id' in value) && !('refund_id' in value), {
          message: 'order_id and refund_id are set by the library',
        }),
      ),
    ),
  }),
);

type Validated = ReturnType<ReturnType<typeof refundSchema>['parse']>;

/** How many version-guarded attempts a reservation makes: many callers may reserve on one order at once. */
const RESERVE_ATTEMPTS = 500;

function sameMetadata(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function assertSameRefund(record: RefundRecord | RefundHold, data: Validated, stored?: RefundRecord): void {
  const differences: string[] = [];
  if (data.amount !== undefined && data.amount !== record.amount) differences.push(`amount ${record.amount} -> ${data.amount}`);
  for (const part of record.parts ?? []) {
    const named = data.items?.find((item) => item.vendorId === part.vendorId);
    const asked = data.items ? (named ? (named.amount ?? part.amount) : 0) : part.amount;
    if (asked !== part.amount) differences.push(`items: vendor "${part.vendorId}" ${part.amount} -> ${asked}`);
  }
  if (stored && (data.reason ?? null) !== stored.reason) differences.push(`reason ${stored.reason} -> ${data.reason ?? null}`);
  if (stored && !sameMetadata(stored.metadata ?? {}, data.metadata ?? {})) differences.push('metadata');
  if (differences.length > 0) {
    throw new MarketplaceError(
      'REFUND_CONFLICT',
      `refund "${data.refundId}" of order "${data.orderId}" already exists with different terms (${differences.join(', ')}); use a new refundId for a new refund`,
      { details: { orderId: data.orderId, refundId: data.refundId, differences } },
    );
  }
}

/** True when Stripe answered and refused (the refund was not made): the reservation can be released. */
function refused(error: unknown): boolean {
  const cause = (error as { cause?: { type?: unknown; statusCode?: unknown } }).cause;
  if (!cause || cause.type === 'StripeIdempotencyError') return false;
  return cause.type === 'StripeInvalidRequestError' || cause.type === 'StripeCardError';
}

/** The charge of a paid order, recording the PaymentIntent (a hosted order may not know it yet) and the charge id. */
async function chargeOf(ctx: Context, order: OrderRecord): Promise<Stripe.Charge> {
  let intentId = order.paymentIntentId;
  if (!intentId && order.checkoutSessionId) {
    const sessionId = order.checkoutSessionId;
    const session = await callStripe('checkout.sessions.retrieve', () => ctx.stripe.checkout.sessions.retrieve(sessionId));
    const pi = session.payment_intent;
    intentId = typeof pi === 'string' ? pi : (pi?.id ?? null);
  }
  let chargeId = order.chargeId;
  if (!chargeId && intentId) {
    const id = intentId;
    const intent = await callStripe('paymentIntents.retrieve', () => ctx.stripe.paymentIntents.retrieve(id));
    const latest = intent.latest_charge;
    chargeId = typeof latest === 'string' ? latest : (latest?.id ?? null);
  }
  if (!chargeId) {
    throw new MarketplaceError('ORDER_NOT_REFUNDABLE', `order "${order.orderId}" has no successful charge to refund`, {
      details: { orderId: order.orderId },
    });
  }
  if (chargeId !== order.chargeId || intentId !== order.paymentIntentId) {
    const now = ctx.now();
    const pi = intentId;
    const ch = chargeId;
    await mutateOrder(ctx, order.orderId, (current) =>
      current.chargeId === ch && current.paymentIntentId === pi
        ? null
        : { ...current, paymentIntentId: current.paymentIntentId ?? pi, chargeId: current.chargeId ?? ch, updatedAt: now },
    );
  }
  const id = chargeId;
  return callStripe('charges.retrieve', () => ctx.stripe.charges.retrieve(id));
}

/** Reserves the refund on the order (or finds the reservation made under the same refund id), and stores its record. */
async function reserve(ctx: Context, order: OrderRecord, data: Validated): Promise<RefundRecord> {
  const now = ctx.now();
  let hold: RefundHold | null = null;
  await mutateOrder(ctx, order.orderId, (current) => {
    const reserved = reserveRefund(
      current,
      { refundId: data.refundId, amount: data.amount, ...(data.items ? { items: itemsOf(data.items) } : {}) },
      ctx.refundPolicy,
      now,
    );
    hold = reserved.hold;
    return reserved.order;
  });
  const held = hold as RefundHold | null;
  if (!held) throw new MarketplaceError('ORDER_NOT_FOUND', `no order is stored under "${order.orderId}"`);
  assertSameRefund(held, data);
  const record: RefundRecord = {
    refundId: data.refundId,
    orderId: order.orderId,
    stripeRefundId: null,
    amount: held.amount,
    currency: order.currency,
    status: 'pending',
    reason: data.reason ?? null,
    failureReason: null,
    source: 'library',
    parts: held.parts,
    transferReversals: [],
    feeRefunds: [],
    restores: [],
    metadata: data.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await insertRecord(ctx.storage, REFUND, record);
  if (!inserted.created) assertSameRefund(inserted.record.data, data, inserted.record.data);
  return inserted.record.data;
}

function itemsOf(items: NonNullable<Validated['items']>) {
  return items.map((item) => ({ vendorId: item.vendorId, amount: item.amount }));
}

/** `items` names a cart's vendors, each once, instead of `amount`. */
function checkItems(order: OrderRecord, data: Validated): void {
  if (!data.items) return;
  const refuse = (message: string, param: string) => {
    throw new MarketplaceError('INVALID_INPUT', `refund: ${message}`, { details: { param, orderId: order.orderId } });
  };
  if (order.chargeType !== 'separate')
    refuse(`items are for carts; order "${order.orderId}" has one vendor: give amount`, 'items');
  if (data.amount !== undefined) refuse('give amount or items, not both', 'amount');
  const seen = new Set<string>();
  data.items.forEach((item, i) => {
    if (seen.has(item.vendorId)) refuse(`vendor "${item.vendorId}" is named twice in items`, `items.${i}.vendorId`);
    seen.add(item.vendorId);
    if (!order.items.some((line) => line.vendorId === item.vendorId)) {
      refuse(`order "${order.orderId}" has no item of vendor "${item.vendorId}"`, `items.${i}.vendorId`);
    }
  });
}

/**
 * A cart's refund reverses the vendors' transfers: each transfer it may reverse must be made first. Refused before
 * anything is reserved or sent (`ORDER_NOT_REFUNDABLE`, with the vendors whose transfers are not paid yet).
 */
async function requireCartTransfers(ctx: Context, order: OrderRecord, data: Validated): Promise<void> {
  const transfers = await transfersOfOrder(ctx, order.orderId);
  const named = data.items?.map((item) => item.vendorId);
  const waiting = order.items
    .filter((item) => item.vendorAmount > 0 && (!named || named.includes(item.vendorId)))
    .filter((item) => !transfers.some((t) => t.vendorId === item.vendorId && t.stripeTransferId))
    .map((item) => item.vendorId);
  if (waiting.length > 0) {
    throw new MarketplaceError(
      'ORDER_NOT_REFUNDABLE',
      `refund: the transfers of ${waiting.map((v) => `"${v}"`).join(', ')} for cart "${order.orderId}" are not made yet (see settleTransfers); a refund reverses them`,
      { details: { orderId: order.orderId, vendorIds: waiting } },
    );
  }
}

/** `market.refund`: see README "Refunds". */
export async function refundOrder(ctx: Context, input: RefundInput): Promise<RefundRecord> {
  refuseForbiddenKeys((input as { metadata?: unknown } | null)?.metadata, 'refund: metadata');
  const data = parseWith(refundSchema(), input, 'refund');
  const order = await getOrder(ctx, data.orderId);
  if (!order) {
    throw new MarketplaceError('ORDER_NOT_FOUND', `refund: no order is stored under "${data.orderId}"`, {
      details: { orderId: data.orderId },
    });
  }
  checkItems(order, data);
  // One refund on the charge: Stripe applies the charge's amount rule to it (https://docs.stripe.com/currencies#three-decimal).
  const multipleOf = currencyInfo(order.currency)?.multipleOf ?? 1;
  const asked = data.amount ?? data.items?.reduce((sum, item) => (item.amount === undefined ? Number.NaN : sum + item.amount), 0);
  if (asked !== undefined && Number.isFinite(asked) && asked % multipleOf !== 0) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `refund: amount ${asked} is not valid for ${order.currency.toUpperCase()}: Stripe requires a multiple of ${multipleOf}`,
      { details: { param: data.amount !== undefined ? 'amount' : 'items', multipleOf } },
    );
  }
  let record = await getRefund(ctx, data.orderId, data.refundId);
  const retry = record !== null;
  if (record) assertSameRefund(record, data, record);
  else {
    if (order.chargeType === 'separate') await requireCartTransfers(ctx, order, data);
    record = await withAttempts(() => reserve(ctx, order, data));
  }
  if (record.status === 'failed' && record.stripeRefundId === null) return record;

  const charge = await chargeOf(ctx, (await getOrder(ctx, order.orderId)) ?? order);
  if (record.stripeRefundId === null) record = await createStripeRefund(ctx, record, charge, retry);
  const status = record.status;
  if (status === 'failed' || status === 'canceled') return record;
  return settle(ctx, record, charge);
}

/** Retries the reservation when the order kept changing under many concurrent reservations. */
async function withAttempts<T>(run: () => Promise<T>): Promise<T> {
  for (let round = 1; ; round++) {
    try {
      return await run();
    } catch (error) {
      const busy =
        (error as { code?: unknown; message?: unknown }).code === 'STORAGE_ERROR' &&
        /kept changing/.test(String((error as Error).message));
      if (!busy || round >= RESERVE_ATTEMPTS / 25) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * round)));
    }
  }
}

/**
 * The refund an earlier call made under this refund id when its answer was lost, found among the charge's refunds by the
 * `order_id` and `refund_id` the library puts in their metadata: Stripe may forget the idempotency key after 24 hours
 * (https://docs.stripe.com/api/idempotent_requests), and a second `refunds.create` would refund the customer twice.
 */
async function madeBefore(ctx: Context, record: RefundRecord, charge: Stripe.Charge): Promise<Stripe.Refund | null> {
  let startingAfter: string | undefined;
  for (;;) {
    const after = startingAfter;
    const page = await callStripe('refunds.list', () =>
      ctx.stripe.refunds.list({ charge: charge.id, limit: 100, ...(after ? { starting_after: after } : {}) }),
    );
    const found = page.data.find((r) => r.metadata?.refund_id === record.refundId && r.metadata?.order_id === record.orderId);
    if (found) return found;
    if (!page.has_more || page.data.length === 0) return null;
    startingAfter = page.data[page.data.length - 1]?.id;
  }
}

async function createStripeRefund(
  ctx: Context,
  record: RefundRecord,
  charge: Stripe.Charge,
  retry: boolean,
): Promise<RefundRecord> {
  const params: Stripe.RefundCreateParams = {
    charge: charge.id,
    amount: record.amount,
    metadata: { ...(record.metadata ?? {}), order_id: record.orderId, refund_id: record.refundId },
  };
  if (record.reason) params.reason = record.reason as Stripe.RefundCreateParams.Reason;
  let refund: Stripe.Refund;
  // Outside the try: a failed look-up is not Stripe refusing the refund, so it must not release the reservation.
  const earlier = retry ? await madeBefore(ctx, record, charge) : null;
  try {
    refund =
      earlier ??
      (await callStripe('refunds.create', () =>
        ctx.stripe.refunds.create(params, { idempotencyKey: refundIdempotencyKey(record.orderId, record.refundId) }),
      ));
  } catch (error) {
    if (refused(error)) {
      const now = ctx.now();
      // Stripe refused: nothing was refunded, so the amount is released and the record says why.
      await mutateRefund(ctx, record, (current) =>
        current.status === 'failed'
          ? null
          : { ...current, status: 'failed', failureReason: (error as Error).message, updatedAt: now },
      );
      await mutateOrder(ctx, record.orderId, (current) => releaseRefund(current, record.refundId, now));
    }
    throw error;
  }
  const now = ctx.now();
  const status = refundStatusOf(refund);
  const updated = await mutateRefund(ctx, record, (current) =>
    current.stripeRefundId === refund.id
      ? null
      : { ...current, stripeRefundId: refund.id, status: current.status === 'pending' ? status : current.status, updatedAt: now },
  );
  const next = updated.record ?? record;
  await mutateOrder(ctx, record.orderId, (current) => {
    if (next.status === 'failed' || next.status === 'canceled') return releaseRefund(current, record.refundId, now);
    const hold = current.refundHolds?.[record.refundId];
    return hold ? openRefund(current, record.refundId, hold, now) : null;
  });
  return next;
}

/** Moves the money the policy decided, once, and records it on the refund. */
async function settle(ctx: Context, record: RefundRecord, charge: Stripe.Charge): Promise<RefundRecord> {
  const order = await getOrder(ctx, record.orderId);
  if (!order) return record;
  const moved = await moveRefundMoney(ctx, order, record, charge);
  const now = ctx.now();
  const result = await mutateRefund(ctx, record, (current) =>
    (current.transferReversals ?? []).length === moved.transferReversals.length &&
    (current.feeRefunds ?? []).length === moved.feeRefunds.length
      ? null
      : { ...current, transferReversals: moved.transferReversals, feeRefunds: moved.feeRefunds, updatedAt: now },
  );
  let latest = result.record ?? record;
  // A refund that failed while the money moved gives the vendor back what they bore.
  if ((latest.status === 'failed' || latest.status === 'canceled') && (latest.restores ?? []).length === 0) {
    latest = await restore(ctx, order, latest);
  }
  return latest;
}

/** Gives the vendors back what a failed or canceled refund took from them, once, and records it. */
export async function restore(ctx: Context, order: OrderRecord, record: RefundRecord): Promise<RefundRecord> {
  const restores = await restoreVendors(ctx, order, record);
  if (restores.length === 0) return record;
  const now = ctx.now();
  const result = await mutateRefund(ctx, record, (current) =>
    (current.restores ?? []).length > 0 ? null : { ...current, restores, updatedAt: now },
  );
  return result.record ?? record;
}

export async function listRefundRecords(ctx: Context, orderId: string): Promise<RefundRecord[]> {
  const id = parseWith(idSchema(), orderId, 'listRefunds(orderId)');
  return listRefunds(ctx, id);
}

export async function getRefundRecord(ctx: Context, orderId: string, refundId: string): Promise<RefundRecord | null> {
  const o = parseWith(idSchema(), orderId, 'getRefund(orderId)');
  const r = parseWith(idSchema(), refundId, 'getRefund(refundId)');
  return getRefund(ctx, o, r);
}
