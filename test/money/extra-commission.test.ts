import { describe, expect, it } from 'vitest';
import {
  type CommissionContext,
  type CommissionPolicy,
  capped,
  computeCommission,
  divideAndRound,
  fixedFee,
  percentage,
  percentagePlusFixed,
  perVendor,
  tiers,
} from '../../src/index.js';
import { commissionContext, rejected, thrown } from './extra-helpers.js';

const ctx = (amount: number, currency = 'gbp', vendorId = 'driver_42'): CommissionContext =>
  commissionContext(amount, currency, { vendorId });

describe('divideAndRound', () => {
  it('returns exact quotients unchanged in every mode', () => {
    for (const mode of ['half_up', 'half_even', 'down', 'up'] as const) expect(divideAndRound(240n, 2n, mode)).toBe(120n);
  });

  it('rounds 125.5, 124.5 and 125.3 by each rule', () => {
    expect([divideAndRound(1255n, 10n, 'half_up'), divideAndRound(1245n, 10n, 'half_up')]).toEqual([126n, 125n]);
    expect([divideAndRound(1255n, 10n, 'half_even'), divideAndRound(1245n, 10n, 'half_even')]).toEqual([126n, 124n]);
    expect([divideAndRound(1253n, 10n, 'half_even'), divideAndRound(1257n, 10n, 'half_even')]).toEqual([125n, 126n]);
    expect([divideAndRound(1259n, 10n, 'down'), divideAndRound(1251n, 10n, 'up')]).toEqual([125n, 126n]);
    expect(divideAndRound(1253n, 10n, 'half_up')).toBe(125n);
  });

  it('refuses a negative numerator or a non-positive denominator', () => {
    expect(() => divideAndRound(-1n, 2n, 'down')).toThrow(RangeError);
    expect(() => divideAndRound(1n, 0n, 'down')).toThrow(RangeError);
  });
});

describe('percentage', () => {
  it('computes the issue examples: 12 % of 2000 GBP, 12.5 % of 1004 and 10 % of 5000 JPY', async () => {
    expect(await percentage(12)(ctx(2000))).toBe(240);
    expect(await percentage(12.5)(ctx(1004))).toBe(126);
    expect(await percentage(10)(ctx(5000, 'jpy'))).toBe(500);
  });

  it('never multiplies a float: 2.9 % of 1000 is exactly 29', async () => {
    expect(await percentage(2.9)(ctx(1000, 'usd'))).toBe(29);
  });

  it('takes rates with up to 8 decimal places, also below 1e-6 where JavaScript prints an exponent', async () => {
    expect(await percentage(0.00000001)(ctx(99_999_999, 'usd'))).toBe(0);
    expect(await percentage(0.00000015)(ctx(99_999_999, 'usd'))).toBe(0);
    expect(await percentage(0.00000015, { rounding: 'up' })(ctx(99_999_999, 'usd'))).toBe(1);
    expect(await percentage(0.12345678)(ctx(99_999_999, 'usd'))).toBe(123_457);
  });

  it('applies the configured rounding', async () => {
    expect(await percentage(12.5, { rounding: 'down' })(ctx(1004))).toBe(125);
    expect(await percentage(12.5, { rounding: 'up' })(ctx(1001))).toBe(126);
    expect(await percentage(12.5, { rounding: 'half_even' })(ctx(996))).toBe(124);
  });

  it('rounds to the currency step in ISK (hundreds) and three-decimal currencies (tens)', async () => {
    expect(await percentage(12)(ctx(10_000, 'isk'))).toBe(1_200);
    expect(await percentage(15)(ctx(1_100, 'isk'))).toBe(200);
    expect(await percentage(12)(ctx(1_230, 'kwd'))).toBe(150);
  });

  it('takes 0 and 100 percent', async () => {
    expect(await percentage(0)(ctx(2000))).toBe(0);
    expect(await percentage(100)(ctx(2000))).toBe(2000);
  });

  it.each([
    ['negative', -1],
    ['above 100', 100.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '12'],
  ])('refuses a rate that is %s', (_label, rate) => {
    const error = thrown(() => percentage(rate as number));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('percentage(): rate must be a number of percent from 0 to 100');
  });

  it('refuses rates with more than 8 decimal places', () => {
    expect(thrown(() => percentage(1.123456789)).message).toContain('more than 8 decimal places');
    expect(thrown(() => percentage(1e-9)).code).toBe('INVALID_INPUT');
    expect(thrown(() => percentage(1.5e-8)).message).toContain('rate 1.5e-8 has more than 8 decimal places');
  });

  it('refuses an unknown rounding mode', () => {
    const error = thrown(() => percentage(12, { rounding: 'nearest' as never }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('rounding must be one of half_up, half_even, down, up, got "nearest"');
  });
});

describe('fixedFee', () => {
  it('charges the configured fee in the charge currency', async () => {
    const policy = fixedFee({ gbp: 30, JPY: 50 });
    expect(await policy(ctx(2000))).toBe(30);
    expect(await policy(ctx(5000, 'jpy'))).toBe(50);
  });

  it('fails a currency without a fee with INVALID_COMMISSION instead of charging 0', async () => {
    const error = await rejected(Promise.resolve().then(() => fixedFee({ gbp: 30 })(ctx(2000, 'usd'))));
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.details).toEqual({ currency: 'usd' });
    expect(error.message).toContain('no fee configured for USD');
  });

  it.each([
    ['null', null, 'INVALID_INPUT'],
    ['an array', [30], 'INVALID_INPUT'],
    ['a number', 30, 'INVALID_INPUT'],
    ['an unknown currency', { xyz: 30 }, 'UNSUPPORTED_CURRENCY'],
    ['a negative fee', { gbp: -1 }, 'INVALID_INPUT'],
    ['a fractional fee', { gbp: 2.5 }, 'INVALID_INPUT'],
    ['a fee off the currency step', { isk: 150 }, 'INVALID_INPUT'],
  ])('refuses %s', (_label, fees, code) => {
    expect(thrown(() => fixedFee(fees as never)).code).toBe(code);
  });
});

describe('percentagePlusFixed', () => {
  it('adds the percentage and the fixed part', async () => {
    expect(await percentagePlusFixed(2.9, { usd: 30 })(ctx(1000, 'usd'))).toBe(59);
    expect(await percentagePlusFixed(12.5, { gbp: 20 }, { rounding: 'down' })(ctx(1004))).toBe(145);
  });

  it('needs a fixed part for the charge currency', async () => {
    const error = await rejected(Promise.resolve().then(() => percentagePlusFixed(2.9, { usd: 30 })(ctx(1000, 'eur'))));
    expect(error.code).toBe('INVALID_COMMISSION');
  });

  it('validates its arguments', () => {
    expect(thrown(() => percentagePlusFixed(101, { usd: 30 })).code).toBe('INVALID_INPUT');
    expect(thrown(() => percentagePlusFixed(2.9, { usd: 30 }, { rounding: 'bankers' as never })).code).toBe('INVALID_INPUT');
    expect(thrown(() => percentagePlusFixed(2.9, { usd: -30 })).code).toBe('INVALID_INPUT');
  });
});

describe('tiers', () => {
  const policy = tiers([{ upTo: 10_000, fee: percentage(15) }, { upTo: 50_000, fee: percentage(10) }, { fee: percentage(5) }]);

  it('prices the whole amount by the tier it falls in (upTo is inclusive)', async () => {
    expect(await policy(ctx(10_000))).toBe(1_500);
    expect(await policy(ctx(10_001))).toBe(1_000);
    expect(await policy(ctx(50_000))).toBe(5_000);
    expect(await policy(ctx(60_000))).toBe(3_000);
  });

  it('fails an amount above a last tier that has upTo with INVALID_COMMISSION', async () => {
    const bounded = tiers([{ upTo: 1_000, fee: percentage(10) }]);
    expect(await bounded(ctx(1_000))).toBe(100);
    const error = await rejected(Promise.resolve().then(() => bounded(ctx(1_001))));
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.message).toContain('no tier covers amount 1001');
  });

  it('copies the list, so later edits do not change prices', async () => {
    const list = [{ upTo: 1_000, fee: percentage(10) }, { fee: percentage(5) }];
    const frozen = tiers(list);
    list[0] = { upTo: 1_000, fee: percentage(50) };
    expect(await frozen(ctx(1_000))).toBe(100);
  });

  it.each([
    ['an empty list', []],
    ['not a list', {}],
    ['a tier without a fee', [{ upTo: 10 }, { fee: percentage(1) }]],
    ['upTo missing before the last tier', [{ fee: percentage(1) }, { fee: percentage(2) }]],
    [
      'upTo out of order',
      [
        { upTo: 100, fee: percentage(1) },
        { upTo: 50, fee: percentage(2) },
      ],
    ],
    ['a fractional upTo', [{ upTo: 10.5, fee: percentage(1) }]],
    ['a zero upTo', [{ upTo: 0, fee: percentage(1) }]],
  ])('refuses %s', (_label, list) => {
    expect(thrown(() => tiers(list as never)).code).toBe('INVALID_INPUT');
  });
});

describe('perVendor', () => {
  it('uses the vendor override, or the fallback', async () => {
    const policy = perVendor({ driver_42: percentage(8) }, percentage(12));
    expect(await policy(ctx(2000, 'gbp', 'driver_42'))).toBe(160);
    expect(await policy(ctx(2000, 'gbp', 'driver_7'))).toBe(240);
  });

  it('does not treat inherited object keys as vendors', async () => {
    const policy = perVendor({ driver_42: percentage(8) }, percentage(12));
    expect(await policy(ctx(2000, 'gbp', 'toString'))).toBe(240);
  });

  it('accepts a lookup function', async () => {
    const policy = perVendor((vendorId) => (vendorId.startsWith('vip_') ? percentage(5) : undefined), percentage(12));
    expect(await policy(ctx(2000, 'gbp', 'vip_1'))).toBe(100);
    expect(await policy(ctx(2000, 'gbp', 'driver_1'))).toBe(240);
  });

  it('validates its arguments', () => {
    expect(thrown(() => perVendor({}, undefined as never)).message).toContain('fallback policy is required');
    expect(thrown(() => perVendor({ a: 5 as never }, percentage(1))).message).toContain('the policy for "a" is not a function');
    expect(thrown(() => perVendor(null as never, percentage(1))).code).toBe('INVALID_INPUT');
  });
});

describe('capped', () => {
  it('clamps to a max and a min for every currency', async () => {
    const policy = capped(percentage(10), { min: 50, max: 1_000 });
    expect(await policy(ctx(100_000))).toBe(1_000);
    expect(await policy(ctx(300))).toBe(50);
    expect(await policy(ctx(2_000))).toBe(200);
  });

  it('never lifts the fee above the amount', async () => {
    expect(await capped(percentage(1), { min: 500 })(ctx(300))).toBe(300);
  });

  it('takes caps per currency and fails a currency without one', async () => {
    const policy = capped(percentage(10), { min: { gbp: 50 }, max: { gbp: 1_000 } });
    expect(await policy(ctx(100))).toBe(50);
    const error = await rejected(Promise.resolve(policy(ctx(5_000, 'usd'))));
    expect(error.code).toBe('INVALID_COMMISSION');
  });

  it('works with async policies', async () => {
    const slow: CommissionPolicy = async ({ amount }) => amount;
    expect(await capped(slow, { max: 10 })(ctx(2000))).toBe(10);
  });

  it('validates its arguments', () => {
    expect(thrown(() => capped(undefined as never, { max: 1 })).message).toContain('the first argument must be a policy');
    expect(thrown(() => capped(percentage(1), {})).message).toContain('give min, max or both');
    expect(thrown(() => capped(percentage(1), { min: -1 })).message).toContain('min must be a non-negative integer');
    expect(thrown(() => capped(percentage(1), { max: 1.5 })).message).toContain('max must be a non-negative integer');
    expect(thrown(() => capped(percentage(1), { max: { xyz: 1 } })).code).toBe('UNSUPPORTED_CURRENCY');
  });
});

describe('computeCommission', () => {
  it('returns a valid fee, from sync and async policies', async () => {
    expect(await computeCommission(() => 240, ctx(2000))).toBe(240);
    expect(await computeCommission(async () => 0, ctx(2000))).toBe(0);
    expect(await computeCommission(() => 2000, ctx(2000))).toBe(2000);
  });

  it.each([
    ['2500 on 2000', 2500, 'outside 0..2000'],
    ['-1', -1, 'outside 0..2000'],
    ['2.5', 2.5, 'it must return an integer number of minor units'],
    ['a string', '240', 'it must return an integer number of minor units'],
    ['NaN', Number.NaN, 'it must return an integer number of minor units'],
  ])('refuses a policy returning %s with INVALID_COMMISSION', async (_label, fee, message) => {
    const error = await rejected(computeCommission(() => fee as number, ctx(2000)));
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.message).toContain(message);
    expect(error.details).toEqual({ fee, amount: 2000 });
  });

  it('refuses a fee off the currency step', async () => {
    const error = await rejected(computeCommission(() => 150, ctx(10_000, 'isk')));
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.message).toContain('only takes in multiples of 100');
  });

  it('wraps a throwing policy, keeping the cause', async () => {
    const cause = new Error('rates table unavailable');
    const error = await rejected(
      computeCommission(() => {
        throw cause;
      }, ctx(2000)),
    );
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.message).toContain('the commission policy threw: rates table unavailable');
    expect(error.cause).toBe(cause);
    const nonError = await rejected(computeCommission(() => Promise.reject('nope'), ctx(2000)));
    expect(nonError.message).toContain('threw: nope');
  });

  it('passes an INVALID_COMMISSION error from a built-in policy through unchanged', async () => {
    const error = await rejected(computeCommission(fixedFee({ usd: 30 }), ctx(2000)));
    expect(error.code).toBe('INVALID_COMMISSION');
    expect(error.message).toContain('fixedFee() has no fee configured for GBP');
    expect(error.cause).toBeUndefined();
  });
});
