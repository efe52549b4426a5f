import { writeFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { postgresSchemaSql } from './src/storage/postgres-schema.js';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'src/http/express.ts',
    fastify: 'src/http/fastify.ts',
    postgres: 'src/postgres.ts',
    testing: 'src/testing/index.ts',
    // package.json "imports" #sandbox-node-server: the `node` condition loads the server, every other runtime the stub.
    'sandbox-node-server': 'src/testing/sandbox/node-server.ts',
    'sandbox-node-stub': 'src/testing/sandbox/node-server-stub.ts',
    // #conformance-processes: the conformance suite's multi-process runner (node:child_process) under `node` only.
    'conformance-processes': 'src/testing/conformance/processes-node.ts',
    'conformance-processes-stub': 'src/testing/conformance/processes-stub.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'neutral',
  // Keep `node:http` as written: Deno and workerd (with Node compatibility) resolve Node built-ins only by that name.
  removeNodeProtocol: false,
  splitting: true,
  treeshake: true,
  // zod/mini is bundled (and tree-shaken) so that importing the library stays cheap.
  noExternal: ['zod'],
  external: [
    'stripe',
    'node:http',
    'node:net',
    'node:child_process',
    '#sandbox-node-server',
    '#conformance-processes',
    'node:fs/promises',
    'node:path',
    'pg',
    '@electric-sql/pglite',
    'express',
    'fastify',
    'vitest',
  ],
  // The PostgreSQL schema for teams that run their own migrations (default table prefix).
  onSuccess: async () => {
    await writeFile('dist/schema.sql', postgresSchemaSql());
  },
});
