// Measurement helpers: every figure is a ratio against a baseline measured in the same run, with the
// two sides alternated (A B B A ...) so that drift (JIT warm-up, CPU frequency, GC) hits both alike.
import { performance } from 'node:perf_hooks';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs `baseline(round)` and `subject(round)` for `rounds` rounds after `warmup` unmeasured rounds,
 * swapping which goes first every round. `before(round)`, if given, runs untimed at the start of each round. Each function runs its whole batch and resolves when done.
 * Returns the per-round durations in milliseconds.
 */
export async function alternate({ baseline, subject, rounds, warmup = 1, before = async () => {} }) {
  const times = { baseline: [], subject: [] };
  for (let round = 0; round < warmup + rounds; round++) {
    await before(round);
    const order = round % 2 === 0 ? ['baseline', 'subject'] : ['subject', 'baseline'];
    for (const side of order) {
      const run = side === 'baseline' ? baseline : subject;
      const started = performance.now();
      await run(round);
      const elapsed = performance.now() - started;
      if (round >= warmup) times[side].push(elapsed);
    }
  }
  return times;
}

/** The median of per-round ratios subject/baseline, with the lowest and highest round. */
export function ratioOf(times, { invert = false } = {}) {
  const ratios = times.subject.map((subject, i) => (invert ? times.baseline[i] / subject : subject / times.baseline[i]));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

export const fmt = (value, digits = 2) => value.toFixed(digits);
