import type { MarketplaceStorage } from '../../storage/types.js';
import { ConformanceError } from './assert.js';
import type { Harness, StorageProcessOptions } from './harness.js';

/**
 * The multi-process part: registered only when `processes` is given, and the Node-only code that starts
 * the processes is loaded only when its test runs, so `stripe-marketplace/testing` stays runtime-neutral.
 */
export function processesConformance<S extends MarketplaceStorage>(h: Harness<S>, processes: StorageProcessOptions): void {
  const count = processes.count ?? 4;
  const callers = Math.max(2, Math.ceil(h.n / count));
  h.options.describe('processes', () => {
    h.options.it(
      `keeps every atomic guarantee across ${count} processes of ${callers} concurrent callers each on one store`,
      async () => {
        // The `node` condition of package.json "imports" loads the runner; other runtimes get a stub that says why not.
        const { raceProcesses }: typeof import('./processes-node.js') = await import('#conformance-processes');
        const failures = await raceProcesses(processes, count, callers);
        if (failures.length > 0) {
          throw new ConformanceError(`the adapter is not atomic across processes:\n- ${failures.join('\n- ')}`);
        }
      },
    );
  });
}
