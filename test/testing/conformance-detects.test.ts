import { describe, expect, it } from 'vitest';
import { memoryStorage, type MarketplaceStorage } from '../../src/index.js';
import { runStorageConformance } from '../../src/testing/index.js';

/** Registers the suite with a collecting runner and returns its tests by full name. */
function collect(create: () => MarketplaceStorage, transactions = false): Map<string, () => Promise<void>> {
  const tests = new Map<string, () => Promise<void>>();
  const path: string[] = [];
  runStorageConformance({
    name: 'broken',
    transactions,
    create,
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn) => {
      tests.set([...path, name].join(' > '), fn);
    },
  });
  return tests;
}

/** The names of the tests that fail against `create`'s storage. */
async function failures(create: () => MarketplaceStorage): Promise<string[]> {
  const failed: string[] = [];
  for (const [name, run] of collect(create)) {
    await run().catch(() => failed.push(name));
  }
  return failed;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Memory storage with one method replaced. */
function broken(replace: (inner: MarketplaceStorage) => Partial<MarketplaceStorage>): () => MarketplaceStorage {
  return () => {
    const inner = memoryStorage();
    return { ...inner, ...replace(inner) };
  };
}

describe('runStorageConformance', () => {
  it('passes the reference storage', async () => {
    expect(await failures(() => memoryStorage())).toEqual([]);
  });

  it('registers the transaction tests unless told the store has none, and fails a storage without transaction', async () => {
    const withTransactions = [...collect(() => memoryStorage(), true)];
    const transactionTests = withTransactions.filter(([name]) => name.includes(' > transactions > '));
    expect(transactionTests.length).toBe(3);
    for (const [, run] of transactionTests) await expect(run()).rejects.toThrow(/storage.transaction is missing/);
    expect(withTransactions.length - collect(() => memoryStorage(), false).size).toBe(3);
  });

  it('catches an OAuth state consumer that reads, yields, then deletes', async () => {
    const racy = await failures(
      broken((inner) => {
        const saved = new Map<string, { state: string; vendorId: string; expiresAt: number }>();
        return {
          async saveOAuthState(record) {
            saved.set(record.state, record);
            await inner.saveOAuthState(record);
          },
          async consumeOAuthState(state, now) {
            const record = saved.get(state);
            await tick();
            saved.delete(state);
            return record && record.expiresAt > now ? record : null;
          },
        };
      }),
    );
    expect(racy).toEqual([expect.stringContaining('concurrent consumers')]);
  });

  it('catches a claim that reads, yields, then writes', async () => {
    const failed = await failures(
      broken((inner) => {
        const held = new Set<string>();
        return {
          async claimEvent(eventId, options) {
            const taken = held.has(eventId);
            await tick();
            if (taken) return inner.claimEvent(eventId, options);
            held.add(eventId);
            const token = `t${Math.random()}`;
            // Claims without looking again: every concurrent caller wins.
            void inner.claimEvent(eventId, options);
            return { status: 'claimed', token };
          },
        };
      }),
    );
    expect(failed).toEqual(expect.arrayContaining([expect.stringContaining('concurrent claims')]));
  });

  it('catches an updateOrder that ignores `from`', async () => {
    const failed = await failures(
      broken((inner) => ({ updateOrder: (id, update) => inner.updateOrder(id, { ...update, from: undefined }) })),
    );
    expect(failed).toEqual(
      expect.arrayContaining([expect.stringContaining('forward only'), expect.stringContaining('not in `from`')]),
    );
  });

  it('catches an updateOrder that lets amountRefunded decrease', async () => {
    const failed = await failures(
      broken((inner) => ({
        async updateOrder(id, update) {
          const result = await inner.updateOrder(id, update);
          const amount = update.patch?.amountRefunded;
          if (!result.applied || !result.order || amount === undefined) return result;
          // Reports the new total as written, whatever was stored before.
          return { applied: true, order: { ...result.order, amountRefunded: amount } };
        },
      })),
    );
    expect(failed).toEqual(expect.arrayContaining([expect.stringContaining('never lowers amountRefunded')]));
  });

  it('catches an insert that overwrites, a complete that ignores the token, and a lookup that misses', async () => {
    expect(
      await failures(
        broken((inner) => ({
          insertOrder: async (order) => ({ created: true, order: (await inner.insertOrder(order)) && order }),
        })),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('second insert')]));
    expect(
      await failures(
        broken((inner) => ({
          completeEvent: async (id, _token, now) => {
            const claim = await inner.claimEvent(id, { leaseMs: 1, now: Number.MAX_SAFE_INTEGER - 1 });
            return claim.status === 'claimed' ? inner.completeEvent(id, claim.token, now) : false;
          },
        })),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('only with its token')]));
    expect(await failures(broken(() => ({ getVendorByAccount: async () => null })))).toEqual(
      expect.arrayContaining([expect.stringContaining('stores a vendor once')]),
    );
  });
});
