/**
 * Splitting a total into integer parts. Every split here adds up exactly to its total: the parts are the
 * exact shares rounded down, and the cents left over go, one each, to the parts with the largest
 * remainders (the largest remainder method, also called Hamilton's method). Ties go to the earlier part.
 * All arithmetic is on BigInt, never on floats.
 */

/**
 * Splits `total` (a non-negative integer of minor units) in proportion to `weights` (non-negative
 * integers, at least one of them positive). The parts add up to `total` exactly, and each part is its
 * exact share rounded down or up by less than one unit.
 *
 * @example splitByWeights(100, [1, 1, 1]) // [34, 33, 33]
 * @example splitByWeights(1000, [1500, 500]) // [750, 250]
 */
export function splitByWeights(total: number, weights: readonly number[], step = 1): number[] {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new RangeError(`splitByWeights: total must be a non-negative integer, got ${total}`);
  if (!Number.isSafeInteger(step) || step < 1 || total % step !== 0) {
    throw new RangeError(`splitByWeights: step must be a positive integer that divides the total, got ${step}`);
  }
  if (weights.length === 0) throw new RangeError('splitByWeights: give at least one weight');
  for (const weight of weights) {
    if (!Number.isSafeInteger(weight) || weight < 0) {
      throw new RangeError(`splitByWeights: weights must be non-negative integers, got ${weight}`);
    }
  }
  const sum = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (sum === 0n) throw new RangeError('splitByWeights: at least one weight must be positive');
  // Work in units of `step` (10 or 100 for currencies that only take multiples of it), so every part is one.
  const units = BigInt(total / step);
  const parts = weights.map((w) => (units * BigInt(w)) / sum);
  const remainders = weights.map((w, index) => ({ index, remainder: (units * BigInt(w)) % sum }));
  let left = units - parts.reduce((s, p) => s + p, 0n);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (left === 0n) break;
    parts[index] = (parts[index] as bigint) + 1n;
    left -= 1n;
  }
  return parts.map((p) => Number(p) * step);
}
