import type { raceProcesses as RaceProcesses } from './processes-node.js';

/**
 * What `#conformance-processes` loads where the `node` condition does not apply (workerd, browsers, edge
 * bundles): the multi-process part starts Node processes, so it runs only on Node.
 */
export const raceProcesses: typeof RaceProcesses = async () => {
  throw new Error(
    'runStorageConformance({ processes }) starts Node processes (node:child_process), and stripe-marketplace/testing ' +
      'was loaded without the "node" condition. Run the multi-process part under Node.',
  );
};
