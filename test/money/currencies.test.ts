import { describe, expect, it } from 'vitest';
import { assertChargeAmount, currencyInfo, formatAmount, supportedCurrencies } from '../../src/core/money/currencies.js';

describe('currency table', () => {
  it("knows Stripe's zero-decimal currencies", () => {
    for (const code of 'bif clp djf gnf jpy kmf krw mga pyg rwf vnd vuv xaf xof xpf'.split(' ')) {
      expect(currencyInfo(code)).toMatchObject({ decimals: 0, multipleOf: 1 });
    }
  });

  it('sends ISK and UGX as two-decimal amounts in whole hundreds', () => {
    expect(currencyInfo('isk')).toMatchObject({ decimals: 2, multipleOf: 100 });
    expect(currencyInfo('UGX')).toMatchObject({ decimals: 2, multipleOf: 100 });
  });

  it('requires a last digit of 0 in three-decimal currencies', () => {
    for (const code of ['bhd', 'jod', 'kwd', 'omr', 'tnd'])
      expect(currencyInfo(code)).toMatchObject({ decimals: 3, multipleOf: 10 });
  });

  it('has minimums in minor units', () => {
    expect(currencyInfo('gbp')?.minimumAmount).toBe(30);
    expect(currencyInfo('jpy')?.minimumAmount).toBe(50);
    expect(currencyInfo('huf')?.minimumAmount).toBe(17500);
    expect(currencyInfo('thb')?.minimumAmount).toBe(1000);
  });

  it('lists over 130 currencies, sorted and lower-case', () => {
    const list = supportedCurrencies();
    expect(list.length).toBeGreaterThan(130);
    expect([...list].sort()).toEqual(list);
    expect(list.every((c) => /^[a-z]{3}$/.test(c))).toBe(true);
  });
});

describe('assertChargeAmount', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as { code: string }).code;
    }
    return 'ok';
  };

  it('accepts valid amounts and normalises the currency', () => {
    expect(assertChargeAmount(2000, 'GBP').code).toBe('gbp');
    expect(assertChargeAmount(5000, 'jpy').code).toBe('jpy');
    expect(assertChargeAmount(1100, 'isk').code).toBe('isk');
  });

  it.each([
    [1050, 'isk', 'INVALID_INPUT'],
    [20.5, 'gbp', 'INVALID_INPUT'],
    [20, 'gbp', 'AMOUNT_TOO_SMALL'],
    [0, 'gbp', 'INVALID_INPUT'],
    [-100, 'gbp', 'INVALID_INPUT'],
    [100_000_000, 'gbp', 'INVALID_INPUT'],
    [Number.NaN, 'gbp', 'INVALID_INPUT'],
    ['2000', 'gbp', 'INVALID_INPUT'],
    [2000n, 'gbp', 'INVALID_INPUT'],
    [2000, 'xyz', 'UNSUPPORTED_CURRENCY'],
    [2000, 'pounds', 'INVALID_INPUT'],
    [2000, undefined, 'INVALID_INPUT'],
    [1005, 'kwd', 'INVALID_INPUT'],
    [49, 'jpy', 'AMOUNT_TOO_SMALL'],
  ])('refuses %s %s with %s', (amount, currency, expected) => {
    expect(code(() => assertChargeAmount(amount, currency))).toBe(expected);
  });

  it('names the minimum in the message', () => {
    expect(() => assertChargeAmount(20, 'gbp')).toThrowError(/minimum charge of 30 for GBP/);
  });
});

describe('formatAmount', () => {
  it('formats without floats', () => {
    expect(formatAmount(1760, 'gbp')).toBe('17.60 GBP');
    expect(formatAmount(5, 'gbp')).toBe('0.05 GBP');
    expect(formatAmount(5000, 'jpy')).toBe('5000 JPY');
    expect(formatAmount(1230, 'kwd')).toBe('1.230 KWD');
    expect(formatAmount(-240, 'gbp')).toBe('-2.40 GBP');
  });
});
