import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  capped,
  computeCommission,
  divideAndRound,
  fixedFee,
  percentage,
  percentagePlusFixed,
  perVendor,
  tiers,
  type CommissionContext,
  type CommissionPolicy,
} from '../../src/core/money/commission.js';
import { currencyInfo, supportedCurrencies } from '../../src/core/money/currencies.js';
import { commissionContext } from './extra-helpers.js';

const ctx = commissionContext;

const fee = (policy: CommissionPolicy, amount: number, currency = 'gbp', extra: Partial<CommissionContext> = {}) =>
  computeCommission(policy, ctx(amount, currency, extra));

describe('percentage', () => {
  it('takes 12 % of 2000 gbp as 240', async () => {
    expect(await fee(percentage(12), 2000)).toBe(240);
  });

  it('takes 10 % of 5000 jpy as 500 (zero-decimal amounts are not scaled)', async () => {
    expect(await fee(percentage(10), 5000, 'jpy')).toBe(500);
  });

  it('rounds half up by default: 12.5 % of 1004 is 126', async () => {
    expect(await fee(percentage(12.5), 1004)).toBe(126);
  });

  it('applies each rounding rule exactly', async () => {
    // 12.5 % of 1004 = 125.5 ; 12.5 % of 996 = 124.5 ; 2.9 % of 1001 = 29.029
    expect(await fee(percentage(12.5, { rounding: 'half_even' }), 1004)).toBe(126);
    expect(await fee(percentage(12.5, { rounding: 'half_even' }), 996)).toBe(124);
    expect(await fee(percentage(12.5, { rounding: 'down' }), 1004)).toBe(125);
    expect(await fee(percentage(12.5, { rounding: 'up' }), 996)).toBe(125);
    expect(await fee(percentage(2.9, { rounding: 'up' }), 1001)).toBe(30);
    expect(await fee(percentage(2.9, { rounding: 'down' }), 1001)).toBe(29);
    expect(await fee(percentage(2.9), 1001)).toBe(29);
  });

  it('never multiplies a float into the amount: 1.15 % of 3000 is exactly 34.5 -> 35', async () => {
    // In floating point 3000 * 1.15 / 100 is 34.49999999999999, which naive rounding turns into 34.
    expect(Math.round((3000 * 1.15) / 100)).toBe(34);
    expect(await fee(percentage(1.15), 3000)).toBe(35);
    expect(await fee(percentage(0.7), 5500)).toBe(39);
  });

  it('rounds to whole krona in ISK and to the last-zero digit in three-decimal currencies', async () => {
    expect(await fee(percentage(12), 1000, 'isk')).toBe(100); // 120 would not be a multiple of 100
    expect(await fee(percentage(12), 1500, 'isk')).toBe(200); // 1.8 krona rounds to 2
    expect(await fee(percentage(12.5), 1000, 'kwd')).toBe(130); // 12.5 -> 13 steps of 10
  });

  it('takes 0 % and 100 %', async () => {
    expect(await fee(percentage(0), 2000)).toBe(0);
    expect(await fee(percentage(100), 2000)).toBe(2000);
  });

  it.each([[-1], [100.01], [Number.NaN], [Number.POSITIVE_INFINITY], ['12' as unknown as number], [1e-9]])(
    'refuses rate %s when the policy is built',
    (rate) => {
      expect(() => percentage(rate)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    },
  );

  it('refuses an unknown rounding rule', () => {
    expect(() => percentage(10, { rounding: 'nearest' as never })).toThrowError(/rounding must be one of/);
  });
});

describe('divideAndRound', () => {
  it('refuses negative input', () => {
    expect(() => divideAndRound(-1n, 2n, 'half_up')).toThrow(RangeError);
    expect(() => divideAndRound(1n, 0n, 'half_up')).toThrow(RangeError);
  });
});

describe('fixedFee', () => {
  it('charges the configured fee per currency', async () => {
    const policy = fixedFee({ gbp: 30, usd: 30, jpy: 50 });
    expect(await fee(policy, 2000, 'gbp')).toBe(30);
    expect(await fee(policy, 5000, 'jpy')).toBe(50);
  });

  it('is an error, never 0, in a currency without a configured fee', async () => {
    await expect(fee(fixedFee({ gbp: 30 }), 2000, 'eur')).rejects.toMatchObject({
      code: 'INVALID_COMMISSION',
      message: expect.stringContaining('no fee configured for EUR'),
    });
  });

  it('refuses bad fee tables when built', () => {
    expect(() => fixedFee({ gbp: 2.5 })).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => fixedFee({ gbp: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => fixedFee({ xyz: 10 })).toThrowError(expect.objectContaining({ code: 'UNSUPPORTED_CURRENCY' }));
    expect(() => fixedFee({ isk: 150 })).toThrowError(/multiple of 100/);
    expect(() => fixedFee(null as never)).toThrowError(/per currency/);
  });

  it('fails the checkout when the fixed fee exceeds the amount', async () => {
    await expect(fee(fixedFee({ gbp: 3000 }), 2000)).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
  });
});

describe('percentagePlusFixed', () => {
  it('adds the percentage and the fixed part', async () => {
    expect(await fee(percentagePlusFixed(2.9, { usd: 30 }), 1000, 'usd')).toBe(59);
  });

  it('needs a fixed part for the currency', async () => {
    await expect(fee(percentagePlusFixed(2.9, { usd: 30 }), 1000, 'gbp')).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
  });
});

describe('tiers', () => {
  const policy = tiers([{ upTo: 10_000, fee: percentage(15) }, { upTo: 50_000, fee: percentage(10) }, { fee: percentage(5) }]);

  it('prices the whole amount by the tier it falls in', async () => {
    expect(await fee(policy, 10_000)).toBe(1500);
    expect(await fee(policy, 10_001)).toBe(1000);
    expect(await fee(policy, 50_001)).toBe(2500);
  });

  it('refuses malformed tier lists', () => {
    expect(() => tiers([])).toThrowError(/at least one tier/);
    expect(() => tiers([{ fee: percentage(1) }, { fee: percentage(2) }])).toThrowError(/only the last tier/);
    expect(() =>
      tiers([
        { upTo: 100, fee: percentage(1) },
        { upTo: 50, fee: percentage(2) },
      ]),
    ).toThrowError(/ascending/);
    expect(() => tiers([{ upTo: 100 } as never])).toThrowError(/needs a fee policy/);
  });

  it('fails when no tier covers the amount', async () => {
    await expect(fee(tiers([{ upTo: 100, fee: percentage(1) }]), 2000)).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
  });
});

describe('perVendor', () => {
  it('uses the override for the vendor and the fallback for others', async () => {
    const policy = perVendor({ driver_42: percentage(8) }, percentage(12));
    expect(await fee(policy, 2000, 'gbp', { vendorId: 'driver_42' })).toBe(160);
    expect(await fee(policy, 2000, 'gbp', { vendorId: 'driver_7' })).toBe(240);
  });

  it('takes a lookup function', async () => {
    const policy = perVendor((id) => (id.startsWith('vip_') ? percentage(5) : undefined), percentage(12));
    expect(await fee(policy, 2000, 'gbp', { vendorId: 'vip_1' })).toBe(100);
    expect(await fee(policy, 2000, 'gbp', { vendorId: 'x' })).toBe(240);
  });

  it('refuses a missing fallback or a non-function override', () => {
    expect(() => perVendor({}, undefined as never)).toThrowError(/fallback/);
    expect(() => perVendor({ a: 12 as never }, percentage(1))).toThrowError(/not a function/);
    expect(() => perVendor(5 as never, percentage(1))).toThrowError(/object of policies/);
  });
});

describe('capped', () => {
  it('clamps to min and max', async () => {
    const policy = capped(percentage(10), { min: 50, max: 1000 });
    expect(await fee(policy, 100)).toBe(50);
    expect(await fee(policy, 20_000)).toBe(1000);
    expect(await fee(policy, 2000)).toBe(200);
  });

  it('never lifts the fee above the amount', async () => {
    expect(await fee(capped(percentage(10), { min: 500 }), 300)).toBe(300);
  });

  it('takes caps per currency, and fails for a currency without one', async () => {
    const policy = capped(percentage(10), { max: { gbp: 100 } });
    expect(await fee(policy, 5000)).toBe(100);
    await expect(fee(policy, 5000, 'usd')).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
  });

  it('refuses caps that are not integers, and no caps', () => {
    expect(() => capped(percentage(1), {})).toThrowError(/min, max or both/);
    expect(() => capped(percentage(1), { min: 1.5 })).toThrowError(/non-negative integer/);
    expect(() => capped(5 as never, { min: 1 })).toThrowError(/must be a policy/);
  });
});

describe('computeCommission checks every result', () => {
  it.each([
    ['more than the amount', () => 2500],
    ['a fraction', () => 2.5],
    ['negative', () => -1],
    ['NaN', () => Number.NaN],
    ['a string', () => '240' as unknown as number],
    ['an async fraction', async () => 2.5],
  ])('refuses a policy returning %s', async (_label, policy) => {
    await expect(fee(policy, 2000)).rejects.toMatchObject({ code: 'INVALID_COMMISSION' });
  });

  it('wraps a throwing policy as INVALID_COMMISSION with the cause', async () => {
    const boom = new Error('rates service down');
    const error = await fee(() => {
      throw boom;
    }, 2000).catch((e) => e);
    expect(error).toMatchObject({ code: 'INVALID_COMMISSION' });
    expect(error.cause).toBe(boom);
  });

  it('refuses a fee that Stripe cannot take in the currency', async () => {
    await expect(fee(() => 150, 1000, 'isk')).rejects.toMatchObject({
      code: 'INVALID_COMMISSION',
      message: expect.stringContaining('multiples of 100'),
    });
  });
});

describe('properties', () => {
  const currencies = supportedCurrencies();
  const arbitraryCharge = fc
    .record({
      currency: fc.constantFrom(...currencies),
      units: fc.integer({ min: 1, max: 999_999 }),
      rate: fc.integer({ min: 0, max: 10_000 }).map((bp) => bp / 100),
      rounding: fc.constantFrom('half_up', 'half_even', 'down', 'up' as const),
    })
    .map(({ currency, units, rate, rounding }) => {
      const step = currencyInfo(currency)!.multipleOf;
      return { currency, amount: units * step, rate, rounding };
    });

  it('fee + vendor amount = amount, and 0 <= fee <= amount, in every currency', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryCharge, async ({ currency, amount, rate, rounding }) => {
        const f = await fee(percentage(rate, { rounding }), amount, currency);
        const vendorAmount = amount - f;
        expect(Number.isSafeInteger(f)).toBe(true);
        expect(f + vendorAmount).toBe(amount);
        expect(f).toBeGreaterThanOrEqual(0);
        expect(f).toBeLessThanOrEqual(amount);
        expect(f % currencyInfo(currency)!.multipleOf).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('percentage fees are monotonic in the amount', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.integer({ min: 0, max: 49_999_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom('half_up', 'half_even', 'down', 'up' as const),
        async (a, delta, bp, rounding) => {
          const policy = percentage(bp / 100, { rounding });
          expect(await fee(policy, a + delta)).toBeGreaterThanOrEqual(await fee(policy, a));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('half_up equals the exact rational rounded half up (checked against BigInt arithmetic)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 0, max: 1_000_000 }), async (amount, micro) => {
        // rate = micro / 10_000 percent (up to 4 decimals)
        const rate = micro / 10_000;
        const exactTimes2 = (BigInt(amount) * BigInt(micro) * 2n) / 1_000_000n; // floor(2x)
        const floor = (BigInt(amount) * BigInt(micro)) / 1_000_000n;
        const expected = exactTimes2 - 2n * floor >= 1n ? floor + 1n : floor;
        expect(await fee(percentage(rate), amount)).toBe(Number(expected));
      }),
      { numRuns: 2000 },
    );
  });

  it('capped and tiered policies keep every bound across currencies', async () => {
    const policy = capped(tiers([{ upTo: 10_000, fee: percentage(20) }, { fee: percentage(7.5) }]), { min: 100, max: 5_000 });
    await fc.assert(
      fc.asyncProperty(arbitraryCharge, async ({ currency, amount }) => {
        const result = await computeCommission(policy, ctx(amount, currency)).catch((e) => e);
        if (typeof result === 'number') {
          expect(result).toBeGreaterThanOrEqual(0);
          expect(result).toBeLessThanOrEqual(amount);
        } else {
          // Only the step check can refuse: a cap of 100 or 5000 is not always a multiple of the step.
          expect(result.code).toBe('INVALID_COMMISSION');
          expect(currencyInfo(currency)!.multipleOf).toBeGreaterThan(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
