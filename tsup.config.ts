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
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'neutral',
  splitting: true,
  treeshake: true,
  // zod/mini is bundled (and tree-shaken) so that importing the library stays cheap.
  noExternal: ['zod'],
  external: [
    'stripe',
    'node:http',
    'node:net',
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
