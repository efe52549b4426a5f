import type { MarketplaceStorage } from '../../storage/types.js';
import { differentialConformance } from './differential.js';
import { type Harness, harness, STORAGE_CAPABILITIES, type StorageConformanceOptions } from './harness.js';
import { inboxConformance } from './inbox.js';
import { processesConformance } from './processes.js';
import { pruneConformance } from './prune.js';
import { recordsConformance } from './records.js';
import { refsConformance } from './refs.js';
import { singleUseConformance } from './single-use.js';
import { transactionConformance } from './transaction.js';

export type {
  ConformanceRunner,
  StorageCapability,
  StorageConformanceOptions,
  StorageProcessOptions,
} from './harness.js';
export { STORAGE_CAPABILITIES } from './harness.js';
export { ConformanceError } from './assert.js';

/**
 * The definition of a correct `MarketplaceStorage`. Registers one `describe` block of tests with the runner
 * you pass, one block per capability of the port (records, refs, single-use records, the inbox, pruning,
 * the optional transaction, a differential run against `memoryStorage`, and with `processes` the
 * multi-process part); each test gets a fresh storage from `create` and hands it to `cleanup` afterwards.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runStorageConformance } from 'stripe-marketplace/testing';
 * runStorageConformance({ name: 'my storage', describe, it, create: () => myStorage() });
 * ```
 */
export function runStorageConformance<S extends MarketplaceStorage>(options: StorageConformanceOptions<S>): void {
  const h: Harness<S> = harness(options);
  const wanted = new Set(options.capabilities ?? STORAGE_CAPABILITIES);
  options.describe(`storage conformance: ${options.name}`, () => {
    if (wanted.has('records')) recordsConformance(h);
    if (wanted.has('refs')) refsConformance(h);
    if (wanted.has('single-use')) singleUseConformance(h);
    if (wanted.has('inbox')) inboxConformance(h);
    if (wanted.has('prune')) pruneConformance(h);
    if (wanted.has('transaction') && options.transactions !== false) transactionConformance(h);
    if (wanted.has('differential')) differentialConformance(h);
    if (wanted.has('processes') && options.processes) processesConformance(h, options.processes);
  });
}
