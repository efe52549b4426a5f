import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import type { MarketplaceStorage } from '../../src/index.js';
import type { PostgresClient, PostgresStorage } from '../../src/postgres.js';
import type { StorageConformanceOptions } from '../../src/testing/index.js';
import type { describe as nodeDescribe, it as nodeIt } from 'node:test';
import type { describe as vitestDescribe, it as vitestIt } from 'vitest';

describe('postgres types', () => {
  it('accepts the real driver types as a client', () => {
    expectTypeOf<pg.Pool>().toExtend<PostgresClient>();
    expectTypeOf<pg.Client>().toExtend<PostgresClient>();
    expectTypeOf<pg.PoolClient>().toExtend<PostgresClient>();
    expectTypeOf<PGlite>().toExtend<PostgresClient>();
    expectTypeOf<{ query: string }>().not.toExtend<PostgresClient>();
  });

  it('is a MarketplaceStorage whose transaction hands out a PostgresStorage', () => {
    expectTypeOf<PostgresStorage>().toExtend<MarketplaceStorage>();
    expectTypeOf<Parameters<Parameters<PostgresStorage['transaction']>[0]>[0]>().toEqualTypeOf<PostgresStorage>();
  });

  it("takes vitest's and node:test's describe and it", () => {
    expectTypeOf<typeof nodeDescribe>().toExtend<StorageConformanceOptions['describe']>();
    expectTypeOf<typeof nodeIt>().toExtend<StorageConformanceOptions['it']>();
    expectTypeOf<typeof vitestDescribe>().toExtend<StorageConformanceOptions['describe']>();
    expectTypeOf<typeof vitestIt>().toExtend<StorageConformanceOptions['it']>();
  });
});
