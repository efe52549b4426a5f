import type { readStateFile as ReadStateFile, writeStateFile as WriteStateFile } from './persist-node.js';

/**
 * What `#sandbox-persist` loads where the `node` condition does not apply (workerd, browsers, edge bundles):
 * `createSandbox({ file })` reads and writes a file, which needs Node's file system.
 */
const unavailable = (): never => {
  throw new Error(
    'createSandbox({ file }) needs a runtime with node:fs (Node.js, Bun or Deno), and stripe-marketplace/testing was ' +
      'loaded without the "node" condition. Leave `file` out to keep the sandbox in memory.',
  );
};
export const readStateFile: typeof ReadStateFile = async () => unavailable();
export const writeStateFile: typeof WriteStateFile = async () => unavailable();
