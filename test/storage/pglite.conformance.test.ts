import { afterAll, describe, it } from 'vitest';
import { runStorageConformance } from '../../src/testing/index.js';
import { pgliteFactory } from './helpers.js';

const pglite = pgliteFactory();
afterAll(() => pglite.close());

runStorageConformance({ name: 'postgresStorage on PGlite', describe, it, create: pglite.create, cleanup: pglite.cleanup });
