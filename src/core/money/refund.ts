import { MarketplaceError } from '../../errors.js';
import type { ChargeType } from '../records.js';
import { describe } from './currencies.js';

/**
 * Refund arithmetic: who bears a refund, per vendor, in integers.
 *
 * A refund of `amount` is first allocated to the order's vendors (one line per vendor), then a refund policy
 * decides, for each vendor's part, what the vendor bears (money taken back from the vendor) and what fee the
 * platform returns. The platform bears the rest of the part. Every number is an integer in minor units.
 *
 * Rounding rule (cumulative shares): a proportional share of a refund is computed on the cumulative refunded total,
 * `round_half_up(total * refundedAfter / chargeAmount)`, minus what earlier refunds already moved, and clamped to
 * what is left. So the parts of all refunds of an order add up exactly to what was charged, transferred and kept,
 * and a full refund always moves exactly the vendor's amount and the fee.
 */

/** One vendor's line of an order, and what earlier (not failed) refunds already moved on it. */
export interface RefundLine {
  readonly vendorId: string;
  /** The line's charge amount. */
  readonly amount: number;
  /** The platform's fee on the line. */
  readonly applicationFeeAmount: number;
  /** `amount - applicationFeeAmount`: what the vendor received. */
  readonly vendorAmount: number;
  /** What earlier refunds allocated to this line. */
  readonly refunded: number;
  /** What earlier refunds took back from the vendor. */
  readonly vendorBore: number;
  /** What of the fee earlier refunds returned. */
  readonly feeReturned: number;
}

/** One vendor's part of one refund: `vendorBears + platformBears === amount`, `feeReturned <= platformBears`. */
export interface RefundPart {
  readonly vendorId: string;
  /** The part of the refund allocated to this vendor's line. */
  readonly amount: number;
  /** What is taken back from the vendor (a transfer reversal, net of any fee returned). */
  readonly vendorBears: number;
  /** `amount - vendorBears`: what the platform pays from its own balance. */
  readonly platformBears: number;
  /** The part of the platform's fee the platform gives back (an application fee refund on a destination charge). */
  readonly feeReturned: number;
}

/** What a refund policy is asked for one vendor's line. */
export interface RefundPolicyContext {
  readonly orderId: string;
  readonly currency: string;
  /** `destination` (one vendor, one transfer of the whole charge) or `separate` (one transfer per vendor). */
  readonly chargeType: ChargeType;
  /** The line, with what earlier refunds moved on it. */
  readonly line: RefundLine;
  /** The part of this refund allocated to the line. */
  readonly amount: number;
}

/** A policy's answer for one line: integers, `0 <= vendorBears`, `0 <= feeReturned`, `vendorBears + feeReturned <= amount`. */
export interface RefundShare {
  readonly vendorBears: number;
  readonly feeReturned: number;
}

/**
 * Decides who bears one vendor's part of a refund. Pure and synchronous. Anything but integers within the bounds
 * fails the refund with `INVALID_REFUND_POLICY` before Stripe is called.
 */
export type RefundPolicy = (ctx: RefundPolicyContext) => RefundShare;

/** `total * numerator / denominator`, rounded half up, exactly (BigInt), for non-negative integers. */
export function shareHalfUp(total: number, numerator: number, denominator: number): number {
  if (denominator <= 0) return 0;
  const product = BigInt(total) * BigInt(numerator);
  const d = BigInt(denominator);
  const quotient = product / d;
  return Number(2n * (product % d) >= d ? quotient + 1n : quotient);
}

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/**
 * The default: the vendor gives back their share and the platform returns its fee, both in proportion to the
 * line's refunded total (Stripe's `reverse_transfer` plus `refund_application_fee`). The vendor's cumulative share is
 * `round_half_up(vendorAmount * refundedAfter / amount)`; the fee returned is the rest of the part.
 */
export function proportionalRefund(): RefundPolicy {
  return ({ line, amount }) => {
    const after = line.refunded + amount;
    const vendorLeft = line.vendorAmount - line.vendorBore;
    const feeLeft = line.applicationFeeAmount - line.feeReturned;
    const target = shareHalfUp(line.vendorAmount, after, line.amount) - line.vendorBore;
    // Within [amount - feeLeft, min(amount, vendorLeft)], which is never empty while amount <= vendorLeft + feeLeft.
    const vendorBears = clamp(target, Math.max(0, amount - feeLeft), Math.min(amount, vendorLeft));
    return { vendorBears, feeReturned: amount - vendorBears };
  };
}

/**
 * The platform keeps its fee: the vendor bears the whole refund (Stripe's `reverse_transfer` without
 * `refund_application_fee`). On separate charges the vendor can give back at most what was transferred to them;
 * the platform bears the rest.
 */
export function platformKeepsFee(): RefundPolicy {
  return ({ line, amount, chargeType }) => {
    const vendorBears = chargeType === 'separate' ? Math.min(amount, line.vendorAmount - line.vendorBore) : amount;
    return { vendorBears, feeReturned: 0 };
  };
}

/** The platform bears the refund alone: nothing is taken back from the vendor and no fee is returned. */
export function platformBearsRefund(): RefundPolicy {
  return () => ({ vendorBears: 0, feeReturned: 0 });
}

/**
 * Allocates `amount` to the lines in proportion to their amounts, on the cumulative refunded total (rounded half
 * up), never more than a line has left; the remainder of rounding goes to the first lines with room. The result
 * adds up to `amount` exactly; it throws a `RangeError` when `amount` exceeds what the lines have left.
 */
export function allocateRefund(lines: readonly RefundLine[], amount: number): number[] {
  const total = lines.reduce((sum, line) => sum + line.amount, 0);
  const refunded = lines.reduce((sum, line) => sum + line.refunded, 0);
  const left = lines.map((line) => line.amount - line.refunded);
  if (amount > left.reduce((sum, l) => sum + l, 0)) throw new RangeError('allocateRefund: amount exceeds what is left');
  const after = refunded + amount;
  const parts = lines.map((line, i) => clamp(shareHalfUp(line.amount, after, total) - line.refunded, 0, left[i] as number));
  let diff = amount - parts.reduce((sum, p) => sum + p, 0);
  for (let i = 0; diff !== 0 && i < parts.length; i++) {
    const part = parts[i] as number;
    const step = diff > 0 ? Math.min(diff, (left[i] as number) - part) : Math.max(diff, -part);
    parts[i] = part + step;
    diff -= step;
  }
  return parts;
}

/** What `splitRefund` needs: the order's lines with what earlier refunds moved, and the refund. */
export interface SplitRefundInput {
  readonly orderId: string;
  readonly currency: string;
  readonly chargeType: ChargeType;
  readonly lines: readonly RefundLine[];
  /** This refund's amount: a positive integer, at most what the lines have left. */
  readonly amount: number;
  /**
   * For a cart refund that names its items: the part of `amount` for each line, in the lines' order (0 for a line
   * not named). It must add up to `amount`, each part within what its line has left. Without it, `amount` is
   * allocated in proportion to the lines (`allocateRefund`).
   */
  readonly allocation?: readonly number[];
}

/**
 * Splits one refund into per-vendor parts with `policy`: allocation to the lines, then the policy's answer for each,
 * checked. The parts add up to `amount`; per line, the cumulative `vendorBears` never exceeds what the line allows
 * (its `vendorAmount` on separate charges, its `amount` on a destination charge) and the cumulative fee returned
 * never exceeds its fee.
 */
export function splitRefund(policy: RefundPolicy, input: SplitRefundInput): RefundPart[] {
  const allocation = input.allocation ?? allocateRefund(input.lines, input.amount);
  if (input.allocation) checkAllocation(input.lines, input.allocation, input.amount);
  return input.lines.map((line, i) => {
    const amount = allocation[i] as number;
    let share: RefundShare;
    try {
      share = amount === 0 ? { vendorBears: 0, feeReturned: 0 } : policy({ ...input, line, amount });
    } catch (error) {
      throw new MarketplaceError('INVALID_REFUND_POLICY', `the refund policy threw for vendor "${line.vendorId}"`, {
        cause: error,
      });
    }
    checkShare(share, line, amount, input.chargeType);
    return {
      vendorId: line.vendorId,
      amount,
      vendorBears: share.vendorBears,
      platformBears: amount - share.vendorBears,
      feeReturned: share.feeReturned,
    };
  });
}

function checkShare(share: RefundShare, line: RefundLine, amount: number, chargeType: ChargeType): void {
  const fail = (why: string) => {
    throw new MarketplaceError(
      'INVALID_REFUND_POLICY',
      `the refund policy answered ${describe(share)} for vendor "${line.vendorId}" (part ${amount}): ${why}`,
      { details: { vendorId: line.vendorId, amount } },
    );
  };
  if (typeof share !== 'object' || share === null) fail('expected { vendorBears, feeReturned }');
  const { vendorBears, feeReturned } = share;
  if (!Number.isSafeInteger(vendorBears) || vendorBears < 0) fail('vendorBears must be a non-negative integer');
  if (!Number.isSafeInteger(feeReturned) || feeReturned < 0) fail('feeReturned must be a non-negative integer');
  if (vendorBears + feeReturned > amount) fail('vendorBears + feeReturned must not exceed the part');
  if (line.feeReturned + feeReturned > line.applicationFeeAmount) fail('the fee returned would exceed the fee');
  const vendorCap = chargeType === 'separate' ? line.vendorAmount : line.amount;
  if (line.vendorBore + vendorBears > vendorCap) fail('the vendor would give back more than they received');
}

/** An explicit allocation must name every line once, add up to the refund, and stay within what each line has left. */
function checkAllocation(lines: readonly RefundLine[], allocation: readonly number[], amount: number): void {
  if (allocation.length !== lines.length) throw new RangeError('splitRefund: the allocation must have one part per line');
  let sum = 0;
  allocation.forEach((part, i) => {
    const line = lines[i] as RefundLine;
    if (!Number.isSafeInteger(part) || part < 0 || part > line.amount - line.refunded) {
      throw new RangeError(
        `splitRefund: the part ${part} for vendor "${line.vendorId}" is outside 0..${line.amount - line.refunded}`,
      );
    }
    sum += part;
  });
  if (sum !== amount) throw new RangeError(`splitRefund: the allocation adds up to ${sum}, not ${amount}`);
}
