import { MarketplaceError } from '../../errors.js';

/**
 * Stripe's own view of a currency. `Intl` and ISO 4217 disagree with Stripe on several
 * currencies (ISK, UGX, HUF, TWD), so this table, not `Intl`, decides.
 */
export interface CurrencyInfo {
  /** Lower-case ISO code, as Stripe's API takes it. */
  readonly code: string;
  /** Digits after the decimal point in Stripe's API amounts: 0, 2 or 3. */
  readonly decimals: 0 | 2 | 3;
  /**
   * Every charge amount must be a multiple of this, in minor units: 100 for ISK and UGX
   * (two-decimal in the API, whole units in practice), 10 for the three-decimal currencies.
   */
  readonly multipleOf: number;
  /**
   * Stripe's minimum charge in minor units, where Stripe documents one for this presentment currency.
   * Stripe applies its minimum after converting to the settlement currency, so passing this check does
   * not guarantee Stripe accepts the amount.
   */
  readonly minimumAmount: number | undefined;
}

/** Zero-decimal currencies: an amount of 500 JPY is `500`. */
const ZERO_DECIMAL = 'bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf';
/** Sent as two-decimal amounts whose last two digits are 00. */
const WHOLE_HUNDREDS = 'isk ugx';
/** Three-decimal currencies: the last digit must be 0. */
const THREE_DECIMAL = 'bhd jod kwd omr tnd';
/** Two-decimal presentment currencies Stripe charges in. */
const TWO_DECIMAL =
  'usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd bwp byn bzd cad cdf chf cny cop crc cve czk ' +
  'dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gtq gyd hkd hnl htg huf idr ils inr jmd kes kgs khr kyd kzt lak lbp lkr lrd ' +
  'lsl mad mdl mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd ' +
  'scr sek sgd shp sle sos srd std szl thb tjs top try ttd twd tzs uah uyu uzs wst xcd yer zar zmw';

/** Minimum charge amounts in minor units (Stripe's documented list). */
const MINIMUMS: Record<string, number> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  aud: 50,
  cad: 50,
  chf: 50,
  dkk: 250,
  nok: 300,
  sek: 300,
  pln: 200,
  czk: 1500,
  huf: 17500,
  jpy: 50,
  mxn: 1000,
  hkd: 400,
  sgd: 50,
  nzd: 50,
  brl: 50,
  inr: 50,
  aed: 200,
  myr: 200,
  thb: 1000,
  ron: 200,
};

let table: Map<string, CurrencyInfo> | undefined;

function buildTable(): Map<string, CurrencyInfo> {
  const map = new Map<string, CurrencyInfo>();
  const add = (codes: string, decimals: 0 | 2 | 3, multipleOf: number) => {
    for (const code of codes.split(' ')) {
      map.set(code, Object.freeze({ code, decimals, multipleOf, minimumAmount: MINIMUMS[code] }));
    }
  };
  add(TWO_DECIMAL, 2, 1);
  add(ZERO_DECIMAL, 0, 1);
  add(WHOLE_HUNDREDS, 2, 100);
  add(THREE_DECIMAL, 3, 10);
  return map;
}

/** Stripe's rules for `currency`, or undefined when Stripe does not charge in it. Case-insensitive. */
export function currencyInfo(currency: string): CurrencyInfo | undefined {
  table ??= buildTable();
  return table.get(currency.toLowerCase());
}

/** Every currency code in the table, lower-case and sorted. */
export function supportedCurrencies(): string[] {
  table ??= buildTable();
  return [...table.keys()].sort();
}

/**
 * The largest amount this library sends: Stripe's amount fields take at most 8 digits for most
 * payment methods (99,999,999 minor units).
 */
export const MAX_AMOUNT = 99_999_999;

/**
 * Checks a charge amount against Stripe's rules for its currency and returns the normalised
 * (lower-case) currency. Throws `INVALID_INPUT`, `UNSUPPORTED_CURRENCY` or `AMOUNT_TOO_SMALL`.
 */
export function assertChargeAmount(amount: unknown, currency: unknown, param = 'amount'): CurrencyInfo {
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new MarketplaceError('INVALID_INPUT', `currency must be a three-letter ISO code, got ${describe(currency)}`, {
      details: { param: 'currency' },
    });
  }
  const info = currencyInfo(currency);
  if (!info) {
    throw new MarketplaceError('UNSUPPORTED_CURRENCY', `Stripe does not charge in "${currency}"`, {
      details: { param: 'currency', currency },
    });
  }
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `${param} must be a positive integer in the currency's minor unit (for example 2000 for 20.00 ${info.code.toUpperCase()}), got ${describe(amount)}`,
      { details: { param } },
    );
  }
  if (amount > MAX_AMOUNT) {
    throw new MarketplaceError('INVALID_INPUT', `${param} ${amount} has more than 8 digits, which Stripe refuses`, {
      details: { param },
    });
  }
  if (amount % info.multipleOf !== 0) {
    throw new MarketplaceError(
      'INVALID_INPUT',
      `${param} ${amount} is not valid for ${info.code.toUpperCase()}: Stripe requires a multiple of ${info.multipleOf}`,
      { details: { param, multipleOf: info.multipleOf } },
    );
  }
  if (info.minimumAmount !== undefined && amount < info.minimumAmount) {
    throw new MarketplaceError(
      'AMOUNT_TOO_SMALL',
      `${param} ${amount} is below Stripe's minimum charge of ${info.minimumAmount} for ${info.code.toUpperCase()}`,
      { details: { param, minimumAmount: info.minimumAmount } },
    );
  }
  return info;
}

/** Formats a minor-unit amount for people: `formatAmount(1760, 'gbp')` is `"17.60 GBP"`. No floats are involved. */
export function formatAmount(amount: number, currency: string): string {
  const info = currencyInfo(currency);
  const decimals = info?.decimals ?? 2;
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(decimals + 1, '0');
  const whole = decimals === 0 ? digits : digits.slice(0, -decimals);
  const fraction = decimals === 0 ? '' : `.${digits.slice(-decimals)}`;
  return `${sign}${whole}${fraction} ${currency.toUpperCase()}`;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
