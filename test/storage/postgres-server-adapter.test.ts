import { describe, expect, it, vi } from 'vitest';
import { postgresStorage, type PostgresStorage } from '../../src/postgres.js';
import { dropTables, SERVER_REQUIRED, serverPool, serverStorages, uniquePrefix } from './helpers.js';
import { adapterCases } from './postgres-cases.js';
import { eventInput } from './postgres-fixtures.js';

// The adapter's own guarantees on the server, apart from the conformance suite. Skipped only on a developer
// machine without DATABASE_URL; with DATABASE_URL set, or in CI, an unreachable server fails the run.
describe.skipIf(!SERVER_REQUIRED)('postgresStorage on the PostgreSQL server through a pg.Pool (DATABASE_URL)', () => {
  const server = serverStorages('pool');
  const pool = () => server.connection();

  describe('guarded writes on separate connections', () =>
    adapterCases({
      ...server,
      async lockWaiters(storage, n) {
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline) {
          const { rows } = await pool().query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND position($1 in query) > 0`,
            [storage.tablePrefix],
          );
          if ((rows[0]?.n ?? 0) >= n) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`${n} statements did not wait for the held row within 5 s`);
      },
    }));

  it('measures leases on the database clock: a process whose clock runs 90 s ahead does not take over a held event', async () => {
    const prefix = uniquePrefix('skew');
    const other = serverPool(2);
    try {
      const a = postgresStorage({ client: pool(), tablePrefix: prefix });
      const b = postgresStorage({ client: other, tablePrefix: prefix });
      await a.migrate();
      const claim = await a.claimEvent(eventInput('evt_skew'), { leaseMs: 30_000 });
      expect(claim).toMatchObject({ status: 'claimed', attempts: 1 });
      const [held] = await a.listEvents({ limit: 1 });
      const realNow = Date.now();
      // Process B's clock runs 90 s fast: by its clock, A's 30 s lease ended a minute ago.
      const skew = vi.spyOn(Date, 'now').mockImplementation(() => realNow + 90_000);
      try {
        expect(Date.now()).toBeGreaterThan((held?.leaseExpiresAt ?? 0) + 30_000);
        expect(await b.claimEvent(eventInput('evt_skew'), { leaseMs: 30_000 })).toEqual({
          status: 'in_progress',
          leaseExpiresAt: held?.leaseExpiresAt,
        });
        expect(await b.claimNextEvents({ limit: 10, leaseMs: 30_000 })).toEqual([]);
      } finally {
        skew.mockRestore();
      }
      const token = claim.status === 'claimed' ? claim.token : '';
      expect(await a.settleEvent('evt_skew', token, { status: 'processed' })).toBe(true);
      await dropTables(a);
    } finally {
      await other.end();
    }
  });

  it('hands each due event to exactly one of 4 processes (pools) draining at once (FOR UPDATE SKIP LOCKED)', async () => {
    const prefix = uniquePrefix('drain');
    const pools = Array.from({ length: 4 }, () => serverPool(3));
    try {
      const storages = pools.map((p) => postgresStorage({ client: p, tablePrefix: prefix }));
      const first = storages[0] as PostgresStorage;
      await first.migrate();
      for (let i = 0; i < 60; i++)
        await first.claimEvent(eventInput(`evt_${String(i).padStart(2, '0')}`), { leaseMs: 1, lease: false });
      const taken: string[] = [];
      await Promise.all(
        storages.flatMap((s) =>
          [0, 1, 2].map(async () => {
            for (;;) {
              const batch = await s.claimNextEvents({ limit: 3, leaseMs: 60_000 });
              if (batch.length === 0) return;
              for (const { event, token } of batch) {
                taken.push(event.id);
                expect(await s.settleEvent(event.id, token, { status: 'processed' })).toBe(true);
              }
            }
          }),
        ),
      );
      expect(taken).toHaveLength(60);
      expect(new Set(taken).size).toBe(60);
      expect(await first.listEvents({ statuses: ['pending', 'processing'], limit: 100 })).toEqual([]);
      await dropTables(first);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

describe.skipIf(!SERVER_REQUIRED)('postgresStorage on the PostgreSQL server through one pg.Client (DATABASE_URL)', () => {
  const server = serverStorages('client');
  describe('guarded writes on one serialised connection', () => adapterCases(server));
});
