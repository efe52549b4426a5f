/**
 * The sandbox's own copy of Stripe's currency rules and its own integer arithmetic. It deliberately shares nothing
 * with the library's money core: a simulator that reads the library's tables can never catch the library's mistakes.
 */

import { invalidRequest } from '../errors.js';

/** Stripe's rules for one presentment currency. */
export interface SandboxCurrency {
  /** Digits after the decimal point in API amounts. */
  readonly decimals: 0 | 2 | 3;
  /** Every charge amount must be a multiple of this, in minor units. */
  readonly multipleOf: number;
  /** The smallest charge Stripe documents for this currency, in minor units, if it documents one. */
  readonly minimum: number | undefined;
}

// Source: https://docs.stripe.com/currencies#zero-decimal ("Zero-decimal currencies").
const ZERO_DECIMAL = 'bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf';
// Source: https://docs.stripe.com/currencies#special-cases (ISK and UGX are sent with two decimals that must be 00).
const WHOLE_HUNDREDS = 'isk ugx';
// Source: https://docs.stripe.com/currencies#three-decimal ("the last digit must be 0").
const THREE_DECIMAL = 'bhd jod kwd omr tnd';
// Source: https://docs.stripe.com/currencies#presentment-currencies (two-decimal presentment currencies).
const TWO_DECIMAL =
  'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd bwp byn bzd cad cdf chf cny cop crc cve czk ' +
  'dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gtq gyd hkd hnl htg huf idr ils inr jmd kes kgs khr kyd kzt lak lbp lkr lrd ' +
  'lsl mad mdl mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd ' +
  'scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah uyu uzs wst xcd yer zar zmw';

// Source: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts (minimum charge per currency).
const MINIMUMS: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/**
 * Stripe's amount fields take at most eight digits (99,999,999 minor units).
 * Source: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts ("up to eight digits").
 */
export const MAX_CHARGE_AMOUNT = 99_999_999;

const TABLE = new Map<string, SandboxCurrency>();
for (const [codes, decimals, multipleOf] of [
  [TWO_DECIMAL, 2, 1],
  [ZERO_DECIMAL, 0, 1],
  [WHOLE_HUNDREDS, 2, 100],
  [THREE_DECIMAL, 3, 10],
] as const) {
  for (const code of codes.split(' ')) TABLE.set(code, Object.freeze({ decimals, multipleOf, minimum: MINIMUMS[code] }));
}

/** Stripe's rules for `currency` (lower-case), or undefined when Stripe does not charge in it. */
export function currencyRules(currency: string): SandboxCurrency | undefined {
  return TABLE.get(currency);
}

/** `displayAmount(1760, 'gbp')` is `17.60 GBP`: a minor-unit amount written with its currency's decimals, without floats. */
export function displayAmount(amount: number, currency: string): string {
  const decimals = TABLE.get(currency)?.decimals ?? 2;
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0');
  const whole = decimals === 0 ? digits : digits.slice(0, -decimals);
  const fraction = decimals === 0 ? '' : `.${digits.slice(-decimals)}`;
  return `${sign}${whole}${fraction} ${currency.toUpperCase()}`;
}

/**
 * `total * numerator / denominator` for non-negative integers, rounded half up, exactly (in BigInt, so no product
 * overflows). This is the sandbox's one rounding rule for proportional shares and processing fees.
 */
export function proportionHalfUp(total: number, numerator: number, denominator: number): number {
  if (denominator <= 0) throw new RangeError('proportionHalfUp: denominator must be positive');
  const product = BigInt(total) * BigInt(numerator);
  const d = BigInt(denominator);
  const quotient = product / d;
  return Number(2n * (product % d) >= d ? quotient + 1n : quotient);
}

/** Stripe's answer to an amount below 1 (a refund, a reversal, a transfer, a fee refund). */
export function requirePositive(amount: number, param = 'amount'): void {
  if (amount < 1)
    throw invalidRequest('This value must be greater than or equal to 1.', { param, code: 'parameter_invalid_integer' });
}

/**
 * The amount of a partial operation on something with `left` remaining: `requested`, or all that is left when it is
 * omitted; at least 1 and at most `left`, else Stripe's error naming `amount` with `tooLarge`'s message.
 */
export function partialAmount(requested: unknown, left: number, tooLarge: (amount: number) => string): number {
  const amount = typeof requested === 'number' ? requested : left;
  requirePositive(amount);
  if (amount > left) throw invalidRequest(tooLarge(amount), { param: 'amount' });
  return amount;
}
