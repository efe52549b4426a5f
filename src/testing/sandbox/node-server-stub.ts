import type { listenOnNode as ListenOnNode } from './node-server.js';

/**
 * What `#sandbox-node-server` loads where the `node` condition does not apply (workerd, browsers, edge bundles):
 * the sandbox itself works there in-process, only `listen()` needs Node's HTTP server.
 */
export const listenOnNode: typeof ListenOnNode = async () => {
  throw new Error(
    'sandbox.listen() needs a runtime with node:http (Node.js, Bun or Deno), and stripe-marketplace/testing was loaded ' +
      'without the "node" condition. Use the sandbox in-process instead: new Stripe(key, { httpClient: sandbox.httpClient }) ' +
      'or sandbox.fetch(request).',
  );
};
