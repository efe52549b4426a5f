import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // package.json "imports" point at dist/; the tests run the source.
  resolve: {
    alias: {
      '#sandbox-node-server': fileURLToPath(new URL('./src/testing/sandbox/node-server.ts', import.meta.url)),
      '#conformance-processes': fileURLToPath(new URL('./src/testing/conformance/processes-node.ts', import.meta.url)),
      '#sandbox-persist': fileURLToPath(new URL('./src/testing/sandbox/persist-node.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/consumers/**'],
    testTimeout: 30_000,
    setupFiles: ['test/setup.ts'],
    // The JSON report lets .ci/run check that nothing was skipped (the PostgreSQL and browser tests must run in CI).
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
    hookTimeout: 60_000,
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'] },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'text', 'json-summary'],
      reportsDirectory: 'coverage',
      // The money and webhook code moves money: every line of it is exercised by tests.
      thresholds: {
        'src/core/money/**': { lines: 95 },
        'src/webhooks/**': { lines: 95 },
      },
    },
  },
});
