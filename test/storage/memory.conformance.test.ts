import { describe, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
import type { MarketplaceStorage } from '../../src/storage/types.js';
import { runStorageConformance } from '../../src/testing/conformance/index.js';

/** Each storage's fake clock, so the lease tests move time instead of waiting. */
const clocks = new WeakMap<MarketplaceStorage, { now: number }>();

runStorageConformance({
  name: 'memoryStorage',
  describe,
  it,
  create: () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const storage = memoryStorage({ now: () => clock.now });
    clocks.set(storage, clock);
    return storage;
  },
  advanceClock: (storage, ms) => {
    (clocks.get(storage) as { now: number }).now += ms;
  },
});

// The same lease tests on the real clock, as a store whose clock cannot be moved runs them.
runStorageConformance({
  name: 'memoryStorage on the real clock',
  describe,
  it,
  create: () => memoryStorage(),
  capabilities: ['inbox', 'transaction'],
});
