import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitByWeights } from '../../src/core/money/split.js';

describe('splitByWeights (largest remainder)', () => {
  it('gives the leftover cents to the largest remainders, ties to the earlier part', () => {
    expect(splitByWeights(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(splitByWeights(1000, [1500, 500])).toEqual([750, 250]);
    // 10 * [1, 2, 4] / 7 = 1.43, 2.86, 5.71: floors 1, 2, 5 (8), the two cents go to .86 and .71.
    expect(splitByWeights(10, [1, 2, 4])).toEqual([1, 3, 6]);
    expect(splitByWeights(5, [0, 3, 0])).toEqual([0, 5, 0]);
    expect(splitByWeights(0, [2, 3])).toEqual([0, 0]);
  });

  it('splits in steps of 100 (ISK, UGX) or 10 (three-decimal currencies)', () => {
    expect(splitByWeights(1000, [1, 1, 1], 100)).toEqual([400, 300, 300]);
    expect(splitByWeights(1230, [1, 1], 10)).toEqual([620, 610]);
  });

  it('refuses what it cannot split', () => {
    expect(() => splitByWeights(-1, [1])).toThrow(RangeError);
    expect(() => splitByWeights(1.5, [1])).toThrow(RangeError);
    expect(() => splitByWeights(10, [])).toThrow(RangeError);
    expect(() => splitByWeights(10, [0, 0])).toThrow(RangeError);
    expect(() => splitByWeights(10, [1, -1])).toThrow(RangeError);
    expect(() => splitByWeights(150, [1], 100)).toThrow(RangeError);
  });

  it('always adds up to the total, each part within one unit of its exact share, zero weights get zero', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.array(fc.integer({ min: 0, max: 99_999_999 }), { minLength: 1, maxLength: 20 }),
        (total, weights) => {
          fc.pre(weights.some((w) => w > 0));
          const parts = splitByWeights(total, weights);
          expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
          const sum = weights.reduce((s, w) => s + BigInt(w), 0n);
          parts.forEach((part, i) => {
            const exactTimesSum = BigInt(total) * BigInt(weights[i] as number);
            // |part - exact| < 1  <=>  |part * sum - total * weight| < sum
            const diff = BigInt(part) * sum - exactTimesSum;
            expect(diff < sum && -diff < sum).toBe(true);
            if (weights[i] === 0) expect(part).toBe(0);
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});
