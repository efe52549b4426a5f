/** The sandbox's own currency table and integer arithmetic (it never reads the library's money core). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currencyRules, displayAmount, MAX_CHARGE_AMOUNT, proportionHalfUp } from '../../src/testing/sandbox/rules/money.js';
import { setup, stripeError } from './helpers.js';

describe('currency rules (https://docs.stripe.com/currencies)', () => {
  it('knows zero-decimal, three-decimal and whole-hundred currencies, and the documented minimums', () => {
    expect(currencyRules('jpy')).toEqual({ decimals: 0, multipleOf: 1, minimum: 50 });
    expect(currencyRules('kwd')).toEqual({ decimals: 3, multipleOf: 10, minimum: undefined });
    expect(currencyRules('isk')).toEqual({ decimals: 2, multipleOf: 100, minimum: undefined });
    expect(currencyRules('gbp')?.minimum).toBe(30);
    expect(currencyRules('usd')?.minimum).toBe(50);
    expect(currencyRules('xyz')).toBeUndefined();
    expect(MAX_CHARGE_AMOUNT).toBe(99_999_999);
  });

  it('writes amounts with their currency’s decimals, without floats', () => {
    expect(displayAmount(1760, 'gbp')).toBe('17.60 GBP');
    expect(displayAmount(5, 'gbp')).toBe('0.05 GBP');
    expect(displayAmount(500, 'jpy')).toBe('500 JPY');
    expect(displayAmount(1230, 'kwd')).toBe('1.230 KWD');
    expect(displayAmount(-30, 'eur')).toBe('-0.30 EUR');
  });

  it('applies the rules through the API: minimum, eight digits, multiples (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts)', async () => {
    const { stripe } = setup();
    const small = await stripeError(stripe.paymentIntents.create({ amount: 29, currency: 'gbp' }));
    expect(small).toMatchObject({ statusCode: 400, code: 'amount_too_small', param: 'amount' });
    const large = await stripeError(stripe.paymentIntents.create({ amount: 100_000_000, currency: 'usd' }));
    expect(large).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    const kwd = await stripeError(stripe.paymentIntents.create({ amount: 1005, currency: 'kwd' }));
    expect(kwd).toMatchObject({ statusCode: 400, code: 'invalid_charge_amount' });
  });
});

describe('proportionHalfUp', () => {
  it('rounds exact halves up and everything else to the nearest integer', () => {
    expect(proportionHalfUp(240, 333, 2000)).toBe(40); // 39.96
    expect(proportionHalfUp(5, 1, 2)).toBe(3); // 2.5
    expect(proportionHalfUp(5, 1, 4)).toBe(1); // 1.25
    expect(proportionHalfUp(2000, 175, 10_000)).toBe(35);
    expect(proportionHalfUp(99_999_999, 99_999_999, 99_999_998)).toBe(100_000_000);
    expect(() => proportionHalfUp(1, 1, 0)).toThrow(RangeError);
  });
});

describe('independence from the library’s money core', () => {
  it('no sandbox source imports src/money or src/core', () => {
    const src = path.resolve(__dirname, '../../src');
    const root = path.join(src, 'testing/sandbox');
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const forbidden = [path.join(src, 'money'), path.join(src, 'core')];
    for (const file of files) {
      const source = readFileSync(path.join(root, file), 'utf8');
      for (const [, spec] of source.matchAll(/from '(\.[^']+)'/g)) {
        const target = path.resolve(path.dirname(path.join(root, file)), spec as string);
        expect(
          forbidden.some((dir) => target.startsWith(dir + path.sep)),
          `${file} imports ${spec}`,
        ).toBe(false);
      }
    }
  });
});
