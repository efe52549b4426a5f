/**
 * Dispute policies: who bears a chargeback on an order, vendor by vendor. Pure: a policy answers how much
 * of each vendor's transfer to take back when a dispute opens; the library reverses that much of the
 * transfer, and pays it back with a new transfer when the dispute is won (see `webhooks/projectors/dispute.ts`).
 *
 * Stripe's side (https://docs.stripe.com/disputes/connect): for destination charges and separate charges
 * and transfers, Stripe debits the disputed amount and the dispute fee from the platform and leaves the
 * transfer alone. The platform may recover the money by reversing the transfer, and, when the dispute is
 * won, transfer it back (that transfer fails when the platform's balance cannot cover it).
 */
import { MarketplaceError } from '../../errors.js';
import type { ChargeType, OrderRecord } from '../records.js';

/** One vendor's part of a disputed order. */
export interface DisputeVendorShare {
  readonly vendorId: string;
  /** The vendor's connected account (`acct_...`). */
  readonly accountId: string;
  /** The vendor's items in the order, in minor units. */
  readonly amount: number;
  /** The platform's fee on them. */
  readonly applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`: what the vendor received. */
  readonly vendorAmount: number;
  /**
   * The vendor's share of the disputed amount: the disputed amount split over the vendors in proportion to
   * `amount` with the largest-remainder method (`splitLargestRemainder`), so the shares add up to it exactly.
   */
  readonly disputedAmount: number;
  /**
   * The most that can be taken back from this vendor's transfer: the whole charge's transfer for a
   * destination charge (Stripe transfers the charge amount and collects the fee apart), `vendorAmount` for a
   * separate transfer.
   */
  readonly reversible: number;
}

/** What a dispute policy is asked. */
export interface DisputePolicyContext {
  readonly disputeId: string;
  readonly orderId: string;
  /** Lower-case ISO code. */
  readonly currency: string;
  /** The disputed amount in minor units (usually the charge amount; it can be less). */
  readonly amount: number;
  /** The order's charge amount. */
  readonly chargeAmount: number;
  readonly chargeType: ChargeType;
  /** Stripe's dispute reason (`fraudulent`, `product_not_received`, ...). */
  readonly reason: string | null;
  /** Each vendor of the order, with its share. */
  readonly vendors: readonly DisputeVendorShare[];
}

/** How much to take back from one vendor's transfer when the dispute opens (and to pay back if it is won). */
export interface DisputeRecovery {
  readonly vendorId: string;
  /** Minor units; 0 takes nothing. */
  readonly amount: number;
}

/**
 * A dispute policy: the recovery per vendor. Vendors left out bear nothing. It runs once per dispute,
 * when the dispute is first seen as a chargeback; the answer is stored on the dispute record.
 */
export type DisputePolicy = (ctx: DisputePolicyContext) => readonly DisputeRecovery[];

/**
 * Splits `total` over `weights` in proportion, in integers, with the largest-remainder method: each part is
 * `floor(total * weight / sum)`, and the units left are given one each to the largest remainders (the
 * earlier part first on a tie). The parts add up to `total` exactly; a zero weight gets 0.
 */
export function splitLargestRemainder(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new RangeError('splitLargestRemainder: total must be a non-negative integer');
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) {
    throw new RangeError('splitLargestRemainder: weights must be non-negative integers');
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    if (total === 0) return weights.map(() => 0);
    throw new RangeError('splitLargestRemainder: weights add up to 0');
  }
  const big = BigInt(total);
  const bigSum = BigInt(sum);
  const parts = weights.map((w) => big * BigInt(w));
  const floors = parts.map((p) => Number(p / bigSum));
  let left = total - floors.reduce((a, b) => a + b, 0);
  const order = parts
    .map((p, index) => ({ index, remainder: p % bigSum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of order) {
    if (left === 0) break;
    floors[index] = (floors[index] as number) + 1;
    left -= 1;
  }
  return floors;
}

/**
 * The policy's question for a dispute of `amount` on `order`: the order's items grouped by vendor (in the
 * order they first appear), each with its largest-remainder share of the disputed amount and what can be
 * reversed from its transfer. An order without items (stored before items existed) is one vendor.
 */
export function disputePolicyContext(
  order: OrderRecord,
  dispute: { readonly disputeId: string; readonly amount: number; readonly reason: string | null },
): DisputePolicyContext {
  const items =
    order.items && order.items.length > 0
      ? order.items
      : [
          {
            vendorId: order.vendorId,
            accountId: order.accountId,
            amount: order.amount,
            applicationFeeAmount: order.applicationFeeAmount,
            vendorAmount: order.vendorAmount,
          },
        ];
  const grouped: { vendorId: string; accountId: string; amount: number; applicationFeeAmount: number; vendorAmount: number }[] =
    [];
  for (const item of items) {
    const found = grouped.find((g) => g.vendorId === item.vendorId);
    if (found) {
      found.amount += item.amount;
      found.applicationFeeAmount += item.applicationFeeAmount;
      found.vendorAmount += item.vendorAmount;
    } else {
      grouped.push({
        vendorId: item.vendorId,
        accountId: item.accountId,
        amount: item.amount,
        applicationFeeAmount: item.applicationFeeAmount,
        vendorAmount: item.vendorAmount,
      });
    }
  }
  const shares = splitLargestRemainder(
    dispute.amount,
    grouped.map((g) => g.amount),
  );
  return {
    disputeId: dispute.disputeId,
    orderId: order.orderId,
    currency: order.currency,
    amount: dispute.amount,
    chargeAmount: order.amount,
    chargeType: order.chargeType,
    reason: dispute.reason,
    vendors: grouped.map((g, i) => ({
      ...g,
      disputedAmount: shares[i] as number,
      reversible: order.chargeType === 'destination' ? order.amount : g.vendorAmount,
    })),
  };
}

/**
 * The platform bears disputes (the default): no money moves between the platform and its vendors. Stripe
 * has already debited the platform; the vendors keep their transfers whatever the outcome.
 */
export function platformBearsDisputes(): DisputePolicy {
  return () => [];
}

/**
 * The vendor bears disputes: each vendor gives back what it received for its share of the disputed amount
 * (its `disputedAmount` minus the platform's fee on that share, the fee share rounded half up), taken from its
 * transfer when the dispute opens and paid back when the dispute is won. The platform gives up its fee on
 * the disputed part and bears Stripe's dispute fee.
 */
export function vendorBearsDisputes(): DisputePolicy {
  return (ctx) =>
    ctx.vendors.map((v) => {
      const feeShare =
        v.amount === 0
          ? 0
          : Number((2n * BigInt(v.applicationFeeAmount) * BigInt(v.disputedAmount) + BigInt(v.amount)) / (2n * BigInt(v.amount)));
      return { vendorId: v.vendorId, amount: Math.max(0, Math.min(v.vendorAmount, v.disputedAmount - feeShare)) };
    });
}

/**
 * Asks `policy` and checks its answer: known vendors, each at most once, integer amounts with
 * `0 <= amount <= reversible`, and in total no more than the disputed amount. Returns one recovery per
 * vendor of the context, in its order (0 for a vendor left out). Throws `INVALID_DISPUTE_POLICY` otherwise.
 */
export function resolveDisputeRecoveries(policy: DisputePolicy, ctx: DisputePolicyContext): DisputeRecovery[] {
  let answer: unknown;
  try {
    answer = policy(ctx);
  } catch (error) {
    throw invalid(`the dispute policy threw: ${error instanceof Error ? error.message : String(error)}`, ctx, error);
  }
  if (!Array.isArray(answer)) throw invalid('the dispute policy must return an array of { vendorId, amount }', ctx);
  const amounts = new Map<string, number>();
  for (const entry of answer as unknown[]) {
    const { vendorId, amount } = (entry ?? {}) as { vendorId?: unknown; amount?: unknown };
    const share = ctx.vendors.find((v) => v.vendorId === vendorId);
    if (!share) throw invalid(`the dispute policy named an unknown vendor ${JSON.stringify(vendorId)}`, ctx);
    if (amounts.has(share.vendorId)) throw invalid(`the dispute policy named vendor "${share.vendorId}" twice`, ctx);
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > share.reversible) {
      throw invalid(
        `the dispute policy's amount for vendor "${share.vendorId}" must be an integer from 0 to ${share.reversible}; got ${String(amount)}`,
        ctx,
      );
    }
    amounts.set(share.vendorId, amount);
  }
  const total = [...amounts.values()].reduce((a, b) => a + b, 0);
  if (total > ctx.amount) {
    throw invalid(`the dispute policy recovers ${total} in total, more than the disputed ${ctx.amount}`, ctx);
  }
  return ctx.vendors.map((v) => ({ vendorId: v.vendorId, amount: amounts.get(v.vendorId) ?? 0 }));
}

function invalid(message: string, ctx: DisputePolicyContext, cause?: unknown): MarketplaceError {
  return new MarketplaceError('INVALID_DISPUTE_POLICY', message, {
    details: { disputeId: ctx.disputeId, orderId: ctx.orderId },
    ...(cause === undefined ? {} : { cause }),
  });
}
