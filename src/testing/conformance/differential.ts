import { memoryStorage } from '../../storage/memory.js';
import type { EventClaim, InboxEvent, MarketplaceStorage, StoredRecord } from '../../storage/types.js';
import { assertEqual } from './assert.js';
import { inboxEvent, prng, recordWrite, T0 } from './fixtures.js';
import type { Harness } from './harness.js';

/**
 * An event without the store's clock readings (each store has its own clock), with whether each is set:
 * what two stores that received the same calls agree on.
 */
function comparableEvent(event: InboxEvent) {
  const { receivedAt, leaseExpiresAt, processedAt, nextAttemptAt, ...rest } = event;
  return {
    ...rest,
    receivedAt: typeof receivedAt,
    leaseExpiresAt: leaseExpiresAt !== null,
    processedAt: processedAt !== null,
    nextAttemptAt: nextAttemptAt !== null,
  };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A seeded random sequence of calls, run on the adapter and on `memoryStorage`; every answer must agree. */
export function differentialConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  h.options.describe('differential', () => {
    h.test('agrees with the reference (memory) storage on a seeded sequence of 400 calls', async (s) => {
      const reference = memoryStorage();
      const random = prng(20_260_101);
      const kinds = ['order', 'vendor'];
      const statuses = ['pending', 'succeeded', 'failed', 'refunded'];
      const tokens = { adapter: new Map<string, string>(), reference: new Map<string, string>() };
      const lease = h.longLeaseMs;
      let unique = 0;
      for (let step = 0; step < 400; step++) {
        const kind = random.pick(kinds);
        const id = `r${random.int(6)}`;
        const eventId = `evt_${random.int(6)}`;
        const op = random.int(13);
        const label = `step ${step} (op ${op})`;
        // Every random choice is made before `both`, which runs the same call on each storage.
        const both = async (call: (storage: MarketplaceStorage, which: 'adapter' | 'reference') => Promise<unknown>) => {
          const expected = await call(reference, 'reference');
          const actual = await call(s, 'adapter');
          assertEqual(actual, expected, `${label}: the adapter disagrees with the reference`);
        };
        const write = () =>
          recordWrite(
            kind,
            id,
            { n: ++unique, tags: random.chance(0.5) ? ['a', 'b'] : [], nested: { flag: random.chance(0.5) } },
            {
              status: random.pick(statuses),
              index: random.chance(0.8) ? `v${random.int(3)}` : null,
              refs: random.chance(0.5)
                ? [`pi_${random.int(8)}`]
                : random.chance(0.3)
                  ? [`ch_${random.int(8)}`, `pi_${random.int(8)}`]
                  : [],
              expiresAt: random.chance(0.3) ? T0 + random.int(100) : null,
              createdAt: T0 + random.int(20),
            },
          );
        switch (op) {
          case 0:
          case 1: {
            const record = write();
            await both((st) => st.insert(record));
            break;
          }
          case 2:
          case 3: {
            const record = write();
            const guard = {
              ...(random.chance(0.6) ? { version: 1 + random.int(3) } : {}),
              ...(random.chance(0.5) ? { statuses: [random.pick(statuses), random.pick(statuses)] } : {}),
            };
            await both((st) => st.update(kind, id, record, guard));
            break;
          }
          case 4: {
            const query = {
              limit: 1 + random.int(5),
              ...(random.chance(0.5) ? { index: `v${random.int(3)}` } : {}),
              ...(random.chance(0.4) ? { statuses: [random.pick(statuses)] } : {}),
              ...(random.chance(0.3) ? { createdBefore: T0 + random.int(20) } : {}),
            };
            await both(async (st) => [await st.get(kind, id), await st.list(kind, query)]);
            break;
          }
          case 5: {
            const ref = `${random.chance(0.5) ? 'pi' : 'ch'}_${random.int(8)}`;
            await both((st) => st.resolve(ref));
            break;
          }
          case 6: {
            const now = T0 + random.int(120);
            await both((st) => st.consume(kind, id, now));
            break;
          }
          case 7:
          case 8: {
            const queue = random.chance(0.3);
            const input = inboxEvent(eventId, { source: random.pick(['delivery', 'replay', 'backfill'] as const) });
            await both(async (st, which) => {
              const claim: EventClaim = await st.claimEvent(input, { leaseMs: lease, ...(queue ? { lease: false } : {}) });
              if (claim.status === 'claimed') {
                tokens[which].set(eventId, claim.token);
                return { ...claim, token: 'token' };
              }
              return claim.status === 'in_progress' ? { status: claim.status } : claim;
            });
            break;
          }
          case 9: {
            const limit = 100;
            await both(async (st, which) => {
              const claimed = await st.claimNextEvents({ limit, leaseMs: lease });
              for (const c of claimed) tokens[which].set(c.event.id, c.token);
              return claimed.map((c) => comparableEvent(c.event)).sort(byId);
            });
            break;
          }
          case 10:
          case 11: {
            const stale = random.chance(0.15);
            const settlement = random.pick([
              { status: 'processed' as const },
              { status: 'failed' as const, error: `e${++unique}` },
              { status: 'pending' as const, error: `e${++unique}`, retryAt: random.chance(0.5) ? 0 : Number.MAX_SAFE_INTEGER },
            ]);
            await both((st, which) =>
              st.settleEvent(eventId, stale ? 'stale' : (tokens[which].get(eventId) ?? 'none'), settlement),
            );
            break;
          }
          default: {
            const expiredBefore = T0 + random.int(120);
            await both(async (st) => [
              (await st.listEvents({ limit: 100 })).map(comparableEvent).sort(byId),
              await st.prune({ processedBefore: 0, expiredBefore }),
            ]);
          }
        }
      }
      const all = async (st: MarketplaceStorage) => {
        const records: StoredRecord[] = [];
        for (const kind of kinds) records.push(...(await st.list(kind, { limit: 1000 })));
        return records;
      };
      assertEqual(await all(s), await all(reference), 'the records at the end');
    });
  });
}
