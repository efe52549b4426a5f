import { describe, it } from 'vitest';
import { runStorageConformance } from '../../src/testing/index.js';
import { SERVER_REQUIRED, serverStorages } from './helpers.js';

// Skipped only on a developer machine without DATABASE_URL. With DATABASE_URL set, or in CI, an
// unreachable server (or a missing DATABASE_URL in CI) fails the run.
describe.skipIf(!SERVER_REQUIRED)('PostgreSQL server (DATABASE_URL)', () => {
  const server = serverStorages('pool');
  runStorageConformance({
    name: 'postgresStorage on a pg.Pool',
    describe,
    it,
    create: server.create,
    cleanup: server.cleanup,
    // TODO: pass `processes: { module, exportName }` (a module that builds this storage from DATABASE_URL) once the suite's multi-process part defines it.
  });
});

describe.skipIf(!SERVER_REQUIRED)('PostgreSQL server through one pg.Client (DATABASE_URL)', () => {
  const server = serverStorages('client');
  runStorageConformance({
    name: 'postgresStorage on a single pg.Client',
    describe,
    it,
    create: server.create,
    cleanup: server.cleanup,
  });
});
