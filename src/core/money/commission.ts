import { MarketplaceError, isMarketplaceError } from '../../errors.js';
import { currencyInfo, describe } from './currencies.js';

/** What a commission policy knows about the charge it prices. */
export interface CommissionContext {
  /** The charge amount, a positive integer in the currency's minor unit. */
  readonly amount: number;
  /** Lower-case ISO currency code. */
  readonly currency: string;
  /** The platform's id for the vendor being paid. */
  readonly vendorId: string;
  /** The vendor's connected account (`acct_...`). */
  readonly accountId: string;
  /** The platform's id for the order (for a subscription's invoice: the platform's subscription id). */
  readonly orderId: string;
  /** The metadata passed to `createCheckout` (or `createSubscription`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** For a subscription: the platform's id for it. */
  readonly subscriptionId?: string;
  /** For a subscription's invoice: Stripe's invoice (`in_...`); absent when the fee is priced before the invoice exists. */
  readonly invoiceId?: string;
  /**
   * For a cart (`createCheckout` with `items`): the item being priced, which the policy is asked about once.
   * `amount`, `vendorId` and `accountId` are then the item's. Absent for a single-vendor checkout.
   */
  readonly item?: CommissionItem;
}

/** The cart item a commission policy prices. */
export interface CommissionItem {
  /** The item's position in the cart's `items`, from 0. */
  readonly index: number;
  /** How many items the cart has. */
  readonly count: number;
  readonly description: string | null;
}

/**
 * Computes the platform's fee for one charge, in the charge currency's minor unit.
 * The result must be an integer with `0 <= fee <= amount`; anything else fails the checkout
 * with `INVALID_COMMISSION` before Stripe is called.
 */
export type CommissionPolicy = (ctx: CommissionContext) => number | Promise<number>;

/**
 * How a fractional fee becomes an integer number of minor units. All rules work on exact
 * rationals (BigInt), never on floats.
 * - `half_up` (default): 0.5 goes up. 12.5 % of 1004 = 125.5 -> 126.
 * - `half_even`: 0.5 goes to the even neighbour (banker's rounding). 125.5 -> 126, 124.5 -> 124.
 * - `down`: truncate towards zero (the platform never rounds in its own favour).
 * - `up`: any fraction goes up.
 */
export type RoundingMode = 'half_up' | 'half_even' | 'down' | 'up';

const ROUNDING_MODES: readonly RoundingMode[] = ['half_up', 'half_even', 'down', 'up'];

export interface PercentageOptions {
  /** Default `half_up`. */
  rounding?: RoundingMode;
}

/** A rate in percent as an exact fraction: 2.9 -> 29/10. */
interface Rate {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

function parseRate(rate: unknown, name: string): Rate {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 100) {
    throw new MarketplaceError('INVALID_INPUT', `${name}: rate must be a number of percent from 0 to 100, got ${describe(rate)}`);
  }
  // The shortest decimal string that round-trips is the number the caller wrote (2.9 -> "2.9").
  // Rates below 1e-6 print in exponent form (1.5e-7), which shifts the decimal places.
  const text = String(rate);
  const match = /^(\d+)(?:\.(\d+))?(?:e-(\d+))?$/.exec(text);
  const fraction = match?.[2] ?? '';
  const decimals = fraction.length + Number(match?.[3] ?? 0);
  if (!match || decimals > 8) {
    throw new MarketplaceError('INVALID_INPUT', `${name}: rate ${text} has more than 8 decimal places`);
  }
  return {
    numerator: BigInt(match[1] + fraction),
    denominator: 10n ** BigInt(decimals),
  };
}

function parseRounding(rounding: unknown, name: string): RoundingMode {
  if (rounding === undefined) return 'half_up';
  if (!ROUNDING_MODES.includes(rounding as RoundingMode)) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `${name}: rounding must be one of ${ROUNDING_MODES.join(', ')}, got ${describe(rounding)}`,
    );
  }
  return rounding as RoundingMode;
}

/** Divides two non-negative BigInts and rounds the quotient by `mode`. */
export function divideAndRound(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (numerator < 0n || denominator <= 0n)
    throw new RangeError('divideAndRound takes a non-negative numerator and a positive denominator');
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  switch (mode) {
    case 'down':
      return quotient;
    case 'up':
      return quotient + 1n;
    case 'half_up':
      return remainder * 2n >= denominator ? quotient + 1n : quotient;
    case 'half_even': {
      const twice = remainder * 2n;
      if (twice > denominator) return quotient + 1n;
      if (twice < denominator) return quotient;
      return quotient % 2n === 0n ? quotient : quotient + 1n;
    }
  }
}

/** The smallest step a fee can take in `currency` (100 for ISK and UGX, 10 for three-decimal currencies, else 1). */
function feeStep(currency: string): number {
  return currencyInfo(currency)?.multipleOf ?? 1;
}

/**
 * `rate` percent of the amount, computed exactly and rounded once by `rounding` (default `half_up`).
 * In currencies that only take multiples of 10 or 100 (three-decimal currencies, ISK, UGX), the fee is
 * rounded to that step, so Stripe accepts it.
 *
 * @example percentage(12)  // 2000 gbp -> 240
 * @example percentage(12.5) // 1004 gbp -> 126 (125.5 rounds half up)
 */
export function percentage(rate: number, options: PercentageOptions = {}): CommissionPolicy {
  const parsed = parseRate(rate, 'percentage()');
  const rounding = parseRounding(options.rounding, 'percentage()');
  const policy: CommissionPolicy = ({ amount, currency }) => percentOf(amount, currency, parsed, rounding);
  PERCENTAGES.set(policy, { rate, rounding });
  return policy;
}

function percentOf(amount: number, currency: string, rate: Rate, rounding: RoundingMode): number {
  const step = BigInt(feeStep(currency));
  const units = BigInt(amount) / step;
  const fee = divideAndRound(units * rate.numerator, rate.denominator * 100n, rounding) * step;
  return Number(fee);
}

function parseFixed(fees: unknown, name: string): Map<string, number> {
  if (typeof fees !== 'object' || fees === null || Array.isArray(fees)) {
    throw new MarketplaceError('INVALID_INPUT', `${name}: pass an object of fees per currency, for example { gbp: 30, usd: 30 }`);
  }
  const map = new Map<string, number>();
  for (const [currency, fee] of Object.entries(fees)) {
    const info = currencyInfo(currency);
    if (!info) throw new MarketplaceError('UNSUPPORTED_CURRENCY', `${name}: Stripe does not charge in "${currency}"`);
    if (typeof fee !== 'number' || !Number.isSafeInteger(fee) || fee < 0) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        `${name}: the ${currency} fee must be a non-negative integer in minor units, got ${describe(fee)}`,
      );
    }
    if (fee % info.multipleOf !== 0) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        `${name}: the ${currency} fee must be a multiple of ${info.multipleOf}, got ${fee}`,
      );
    }
    map.set(info.code, fee);
  }
  return map;
}

function fixedFor(map: Map<string, number>, currency: string, name: string): number {
  const fee = map.get(currency);
  if (fee === undefined) {
    throw new MarketplaceError(
      'INVALID_COMMISSION',
      `${name} has no fee configured for ${currency.toUpperCase()}; add one rather than charging nothing`,
      { details: { currency } },
    );
  }
  return fee;
}

/**
 * A fixed fee per currency, in minor units: `fixedFee({ gbp: 30, usd: 30, jpy: 50 })`.
 * A charge in a currency with no configured fee fails with `INVALID_COMMISSION`; it is never priced at 0.
 */
export function fixedFee(fees: Readonly<Record<string, number>>): CommissionPolicy {
  const map = parseFixed(fees, 'fixedFee()');
  return ({ currency }) => fixedFor(map, currency, 'fixedFee()');
}

/**
 * `rate` percent plus a fixed fee per currency, the way card processors price:
 * `percentagePlusFixed(2.9, { usd: 30 })` on 1000 usd is 29 + 30 = 59.
 * The fixed part follows the same rule as `fixedFee`. The sum is not capped here: wrap the policy in
 * `capped()` to keep small charges payable, or the checkout fails with `INVALID_COMMISSION` when
 * the fee would exceed the amount.
 */
export function percentagePlusFixed(
  rate: number,
  fixed: Readonly<Record<string, number>>,
  options: PercentageOptions = {},
): CommissionPolicy {
  const parsed = parseRate(rate, 'percentagePlusFixed()');
  const rounding = parseRounding(options.rounding, 'percentagePlusFixed()');
  const map = parseFixed(fixed, 'percentagePlusFixed()');
  return ({ amount, currency }) =>
    percentOf(amount, currency, parsed, rounding) + fixedFor(map, currency, 'percentagePlusFixed()');
}

export interface Tier {
  /**
   * The tier applies to charges with `amount <= upTo` (minor units of the charge currency). Omit it on
   * the last tier, which takes every larger amount. Tiers compare raw minor units, so in a marketplace
   * that charges in several currencies, choose the tiers per currency inside your own policy.
   */
  upTo?: number;
  /** The policy that prices charges in this tier. */
  fee: CommissionPolicy;
}

/**
 * Picks one policy by the charge amount (the whole amount is priced by the tier it falls in):
 * `tiers([{ upTo: 10_000, fee: percentage(15) }, { fee: percentage(10) }])`.
 */
export function tiers(list: readonly Tier[]): CommissionPolicy {
  if (!Array.isArray(list) || list.length === 0) {
    throw new MarketplaceError('INVALID_INPUT', 'tiers(): pass at least one tier');
  }
  let previous = 0;
  list.forEach((tier, index) => {
    const last = index === list.length - 1;
    if (typeof tier?.fee !== 'function') {
      throw new MarketplaceError('INVALID_INPUT', `tiers(): tier ${index} needs a fee policy`);
    }
    if (last && tier.upTo === undefined) return;
    if (tier.upTo === undefined) {
      throw new MarketplaceError('INVALID_INPUT', `tiers(): only the last tier may omit upTo (tier ${index} does)`);
    }
    if (!Number.isSafeInteger(tier.upTo) || tier.upTo <= previous) {
      throw new MarketplaceError(
        'INVALID_INPUT',
        `tiers(): upTo must be integers in ascending order (tier ${index} has ${describe(tier.upTo)})`,
      );
    }
    previous = tier.upTo;
  });
  const frozen = list.map((tier) => ({ upTo: tier.upTo, fee: tier.fee }));
  return (ctx) => {
    const tier = frozen.find((t) => t.upTo === undefined || ctx.amount <= t.upTo);
    if (!tier) {
      throw new MarketplaceError(
        'INVALID_COMMISSION',
        `tiers(): no tier covers amount ${ctx.amount}; end the list with a tier without upTo`,
      );
    }
    return tier.fee(ctx);
  };
}

/**
 * A policy per vendor, with a fallback for everyone else:
 * `perVendor({ driver_42: percentage(8) }, percentage(12))`, or a function `(vendorId) => policy | undefined`.
 */
export function perVendor(
  overrides: Readonly<Record<string, CommissionPolicy>> | ((vendorId: string) => CommissionPolicy | undefined),
  fallback: CommissionPolicy,
): CommissionPolicy {
  if (typeof fallback !== 'function') {
    throw new MarketplaceError('INVALID_INPUT', 'perVendor(): the fallback policy is required');
  }
  let lookup: (vendorId: string) => CommissionPolicy | undefined;
  if (typeof overrides === 'function') {
    lookup = overrides;
  } else if (typeof overrides === 'object' && overrides !== null) {
    const map = new Map(Object.entries(overrides));
    for (const [vendorId, policy] of map) {
      if (typeof policy !== 'function')
        throw new MarketplaceError('INVALID_INPUT', `perVendor(): the policy for "${vendorId}" is not a function`);
    }
    lookup = (vendorId) => map.get(vendorId);
  } else {
    throw new MarketplaceError('INVALID_INPUT', 'perVendor(): pass an object of policies by vendor id, or a function');
  }
  return (ctx) => (lookup(ctx.vendorId) ?? fallback)(ctx);
}

export interface Caps {
  /** The smallest fee, in minor units: a number for every currency, or a fee per currency. Never more than the amount. */
  min?: number | Readonly<Record<string, number>>;
  /** The largest fee, in minor units: a number for every currency, or a fee per currency. */
  max?: number | Readonly<Record<string, number>>;
}

/**
 * Clamps another policy's fee: `capped(percentage(10), { min: { gbp: 50 }, max: { gbp: 1000 } })`.
 * The minimum never lifts the fee above the charge amount. A per-currency cap that lacks the charge's
 * currency is an `INVALID_COMMISSION` error, as with `fixedFee`.
 */
export function capped(policy: CommissionPolicy, caps: Caps): CommissionPolicy {
  if (typeof policy !== 'function') throw new MarketplaceError('INVALID_INPUT', 'capped(): the first argument must be a policy');
  const toLookup = (cap: Caps['min'], name: string): ((currency: string) => number) | undefined => {
    if (cap === undefined) return undefined;
    if (typeof cap === 'number') {
      if (!Number.isSafeInteger(cap) || cap < 0)
        throw new MarketplaceError('INVALID_INPUT', `capped(): ${name} must be a non-negative integer`);
      return () => cap;
    }
    const map = parseFixed(cap, `capped() ${name}`);
    return (currency) => fixedFor(map, currency, `capped() ${name}`);
  };
  const min = toLookup(caps?.min, 'min');
  const max = toLookup(caps?.max, 'max');
  if (!min && !max) throw new MarketplaceError('INVALID_INPUT', 'capped(): give min, max or both');
  return async (ctx) => {
    let fee = await policy(ctx);
    if (max) fee = Math.min(fee, max(ctx.currency));
    if (min) fee = Math.max(fee, Math.min(min(ctx.currency), ctx.amount));
    return fee;
  };
}

/**
 * Runs a policy and checks its answer: an integer with `0 <= fee <= amount`, in the currency's step.
 * Anything else, including a thrown error, becomes `INVALID_COMMISSION`.
 */
export async function computeCommission(policy: CommissionPolicy, ctx: CommissionContext): Promise<number> {
  let fee: unknown;
  try {
    fee = await policy(ctx);
  } catch (error) {
    if (isMarketplaceError(error, 'INVALID_COMMISSION')) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new MarketplaceError('INVALID_COMMISSION', `the commission policy threw: ${message}`, { cause: error });
  }
  if (typeof fee !== 'number' || !Number.isSafeInteger(fee)) {
    throw new MarketplaceError(
      'INVALID_COMMISSION',
      `the commission policy returned ${describe(fee)} for order "${ctx.orderId}"; it must return an integer number of minor units`,
      { details: { fee, amount: ctx.amount } },
    );
  }
  if (fee < 0 || fee > ctx.amount) {
    throw new MarketplaceError(
      'INVALID_COMMISSION',
      `the commission policy returned ${fee} for order "${ctx.orderId}", outside 0..${ctx.amount} (the charge amount)`,
      { details: { fee, amount: ctx.amount } },
    );
  }
  const step = feeStep(ctx.currency);
  if (fee % step !== 0) {
    throw new MarketplaceError(
      'INVALID_COMMISSION',
      `the commission policy returned ${fee} ${ctx.currency.toUpperCase()}, which Stripe only takes in multiples of ${step}`,
      { details: { fee, amount: ctx.amount } },
    );
  }
  return fee;
}

/** The rate and rounding of each policy `percentage()` made: how a pure percentage is told from any other policy. */
const PERCENTAGES = new WeakMap<CommissionPolicy, { readonly rate: number; readonly rounding: RoundingMode }>();

/** The rate and rounding when `policy` is exactly a `percentage(...)` policy (not wrapped), else null. */
export function percentageOf(policy: CommissionPolicy): { readonly rate: number; readonly rounding: RoundingMode } | null {
  return PERCENTAGES.get(policy) ?? null;
}

/**
 * The `application_fee_percent` that charges exactly what `policy` charges on every invoice in `currency`, or null
 * when there is none: the policy must be a bare `percentage(rate)` with at most two decimals (Stripe's limit for
 * `application_fee_percent`), rounding `half_up`, in a currency whose fees take any integer (not ISK, UGX or a
 * three-decimal currency, where the policy rounds the fee to a step Stripe's percentage does not know).
 */
export function applicationFeePercentFor(policy: CommissionPolicy, currency: string): number | null {
  const found = percentageOf(policy);
  if (found?.rounding !== 'half_up' || feeStep(currency) !== 1) return null;
  const { numerator, denominator } = parseRate(found.rate, 'percentage()');
  return denominator <= 100n && numerator <= 10000n ? found.rate : null;
}
