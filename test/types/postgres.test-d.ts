import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import type { Marketplace, MarketplaceStorage, WebhookStorage } from '../../src/index.js';
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

  it("types a handler's ctx.storage as the storage its transaction hands out", () => {
    const Market = null as unknown as typeof Marketplace;
    const inferred = new Market({ stripe: null as never, commission: () => 0, storage: null as unknown as PostgresStorage });
    expectTypeOf(inferred).toEqualTypeOf<Marketplace<PostgresStorage>>();
    const onPostgres = null as unknown as Marketplace<PostgresStorage>;
    onPostgres.on('payment_intent.succeeded', (_event, ctx) => {
      expectTypeOf(ctx.storage).toEqualTypeOf<PostgresStorage>();
      expectTypeOf(ctx.storage.query).toBeFunction();
    });
    onPostgres.onAny((_event, ctx) => {
      expectTypeOf(ctx.storage).toEqualTypeOf<PostgresStorage>();
    });
    expectTypeOf(onPostgres.storage).toEqualTypeOf<PostgresStorage>();
    expectTypeOf<Marketplace<PostgresStorage>>().toExtend<Marketplace>();

    const plain = null as unknown as Marketplace;
    plain.on('payment_intent.succeeded', (_event, ctx) => {
      expectTypeOf(ctx.storage).toEqualTypeOf<MarketplaceStorage>();
      // @ts-expect-error: a storage without a query method
      ctx.storage.query;
    });
    expectTypeOf<WebhookStorage<MarketplaceStorage>>().toEqualTypeOf<MarketplaceStorage>();
  });
});
