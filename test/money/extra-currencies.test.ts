import { describe, expect, it } from 'vitest';
import { assertChargeAmount, currencyInfo, formatAmount, MAX_AMOUNT, supportedCurrencies } from '../../src/index.js';
import { describe as describeValue } from '../../src/core/money/currencies.js';
import { thrown } from './extra-helpers.js';

describe('currencyInfo', () => {
  it('follows Stripe, not ISO 4217: ISK and UGX are two-decimal in whole hundreds', () => {
    expect(currencyInfo('isk')).toEqual({ code: 'isk', decimals: 2, multipleOf: 100, minimumAmount: undefined });
    expect(currencyInfo('UGX')).toMatchObject({ code: 'ugx', decimals: 2, multipleOf: 100 });
  });

  it('knows zero-decimal currencies and their minimums', () => {
    expect(currencyInfo('JPY')).toEqual({ code: 'jpy', decimals: 0, multipleOf: 1, minimumAmount: 50 });
    for (const code of ['bif', 'clp', 'djf', 'gnf', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']) {
      expect(currencyInfo(code)?.decimals, code).toBe(0);
    }
  });

  it('makes three-decimal currencies end in 0', () => {
    for (const code of ['bhd', 'jod', 'kwd', 'omr', 'tnd']) {
      expect(currencyInfo(code), code).toMatchObject({ decimals: 3, multipleOf: 10 });
    }
  });

  it('keeps HUF and TWD two-decimal for charges, with the documented HUF minimum', () => {
    expect(currencyInfo('huf')).toEqual({ code: 'huf', decimals: 2, multipleOf: 1, minimumAmount: 17_500 });
    expect(currencyInfo('twd')).toMatchObject({ decimals: 2, multipleOf: 1 });
  });

  it('answers undefined for a currency Stripe does not charge in', () => {
    expect(currencyInfo('xyz')).toBeUndefined();
    expect(currencyInfo('')).toBeUndefined();
  });

  it('returns frozen records', () => {
    expect(Object.isFrozen(currencyInfo('gbp'))).toBe(true);
  });
});

describe('supportedCurrencies', () => {
  it('lists every code once, lower-case and sorted', () => {
    const codes = supportedCurrencies();
    expect(codes).toEqual([...codes].sort());
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => /^[a-z]{3}$/.test(code))).toBe(true);
    expect(codes).toEqual(expect.arrayContaining(['gbp', 'usd', 'eur', 'jpy', 'isk', 'kwd']));
  });

  it('returns a fresh array each call', () => {
    const first = supportedCurrencies();
    first.push('zzz');
    expect(supportedCurrencies()).not.toContain('zzz');
  });
});

describe('assertChargeAmount', () => {
  it('accepts a valid amount and normalises the currency', () => {
    expect(assertChargeAmount(2000, 'GBP').code).toBe('gbp');
    expect(assertChargeAmount(MAX_AMOUNT, 'usd').code).toBe('usd');
    expect(assertChargeAmount(5000, 'jpy').decimals).toBe(0);
  });

  it.each([
    ['a number', 42],
    ['two letters', 'gb'],
    ['four letters', 'gbpx'],
    ['digits', '123'],
    ['undefined', undefined],
  ])('refuses a currency that is %s with INVALID_INPUT', (_label, currency) => {
    const error = thrown(() => assertChargeAmount(2000, currency));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details).toEqual({ param: 'currency' });
    expect(error.message).toMatch(/^\[stripe-marketplace\] currency must be a three-letter ISO code/);
  });

  it('refuses an unknown currency with UNSUPPORTED_CURRENCY', () => {
    const error = thrown(() => assertChargeAmount(2000, 'xyz'));
    expect(error.code).toBe('UNSUPPORTED_CURRENCY');
    expect(error.details).toEqual({ param: 'currency', currency: 'xyz' });
  });

  it.each([
    ['20.5', 20.5],
    ['zero', 0],
    ['negative', -100],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '2000'],
    ['unsafe', 2 ** 53],
  ])('refuses an amount that is %s with INVALID_INPUT', (_label, amount) => {
    const error = thrown(() => assertChargeAmount(amount, 'gbp'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.details).toEqual({ param: 'amount' });
  });

  it('names the parameter it was given', () => {
    const error = thrown(() => assertChargeAmount(1.5, 'gbp', 'lineItems.0.unitAmount'));
    expect(error.details).toEqual({ param: 'lineItems.0.unitAmount' });
    expect(error.message).toContain('lineItems.0.unitAmount must be a positive integer');
    expect(error.message).toContain('20.00 GBP');
  });

  it('refuses more than 8 digits', () => {
    const error = thrown(() => assertChargeAmount(MAX_AMOUNT + 1, 'usd'));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('more than 8 digits');
  });

  it('refuses ISK 1050 (not whole hundreds) and KWD 1005 (last digit not 0)', () => {
    const isk = thrown(() => assertChargeAmount(1050, 'isk'));
    expect(isk.code).toBe('INVALID_INPUT');
    expect(isk.details).toEqual({ param: 'amount', multipleOf: 100 });
    expect(thrown(() => assertChargeAmount(1005, 'kwd')).details).toEqual({ param: 'amount', multipleOf: 10 });
    expect(assertChargeAmount(1100, 'isk').code).toBe('isk');
    expect(assertChargeAmount(1010, 'kwd').code).toBe('kwd');
  });

  it('refuses 20 GBP pence (below the 30 minimum) with AMOUNT_TOO_SMALL, and accepts the minimum itself', () => {
    const error = thrown(() => assertChargeAmount(20, 'gbp'));
    expect(error.code).toBe('AMOUNT_TOO_SMALL');
    expect(error.details).toEqual({ param: 'amount', minimumAmount: 30 });
    expect(assertChargeAmount(30, 'gbp').code).toBe('gbp');
    expect(thrown(() => assertChargeAmount(49, 'JPY')).code).toBe('AMOUNT_TOO_SMALL');
  });

  it('has no minimum where Stripe documents none', () => {
    expect(assertChargeAmount(1, 'kes').code).toBe('kes');
  });
});

describe('formatAmount', () => {
  it('formats by the currency decimals without floats', () => {
    expect(formatAmount(1760, 'gbp')).toBe('17.60 GBP');
    expect(formatAmount(5, 'usd')).toBe('0.05 USD');
    expect(formatAmount(5000, 'jpy')).toBe('5000 JPY');
    expect(formatAmount(1230, 'kwd')).toBe('1.230 KWD');
    expect(formatAmount(0, 'eur')).toBe('0.00 EUR');
    expect(formatAmount(-250, 'eur')).toBe('-2.50 EUR');
  });

  it('falls back to two decimals for a currency outside the table', () => {
    expect(formatAmount(12345, 'xyz')).toBe('123.45 XYZ');
  });
});

describe('describe (values in error messages)', () => {
  it('names what it was given', () => {
    expect(describeValue('gbp')).toBe('"gbp"');
    expect(describeValue(2.5)).toBe('2.5');
    expect(describeValue(true)).toBe('true');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue({})).toMatch(/ object$/);
    expect(describeValue(() => 1)).toMatch(/ function$/);
  });
});
