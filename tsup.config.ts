import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'src/http/express.ts',
    fastify: 'src/http/fastify.ts',
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
  external: ['stripe', 'node:http', 'node:net', 'pg', '@electric-sql/pglite', 'express', 'fastify'],
});
