import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
import type { ListQuery, MarketplaceStorage } from '../../src/storage/types.js';
import { runStorageConformance, type StorageConformanceOptions } from '../../src/testing/conformance/index.js';
// @ts-expect-error: a plain JavaScript module without types (child processes load it as is).
import { createStorage as jsonFileStorage, removeStorage } from './json-file-storage.mjs';

type Options = Partial<Omit<StorageConformanceOptions, 'describe' | 'it' | 'name'>>;

/** Registers the suite with a collecting runner and returns its tests by full name. */
function collect(options: Options & Pick<StorageConformanceOptions, 'create'>): Map<string, () => Promise<void>> {
  const tests = new Map<string, () => Promise<void>>();
  const path: string[] = [];
  runStorageConformance({
    name: 'broken',
    ...options,
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

/** A memory storage with its own fake clock, and the option that moves it. */
function clocked(wrap: (inner: MarketplaceStorage) => MarketplaceStorage = (inner) => inner) {
  const clocks = new WeakMap<MarketplaceStorage, { now: number }>();
  return {
    create: () => {
      const clock = { now: Date.UTC(2026, 0, 1) };
      const storage = wrap(memoryStorage({ now: () => clock.now }));
      clocks.set(storage, clock);
      return storage;
    },
    advanceClock: (storage: MarketplaceStorage, ms: number) => {
      (clocks.get(storage) as { now: number }).now += ms;
    },
  };
}

/** The names of the tests that fail, each with the first line of its error. */
async function failures(options: Options & Pick<StorageConformanceOptions, 'create'>, only?: RegExp): Promise<string[]> {
  const failed: string[] = [];
  for (const [name, run] of collect(options)) {
    if (only && !only.test(name)) continue;
    await run().catch((error: Error) => failed.push(`${name}: ${error.message.split('\n')[0]}`));
  }
  return failed;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Memory storage with some methods replaced. */
const broken = (replace: (inner: MarketplaceStorage) => Partial<MarketplaceStorage>) =>
  clocked((inner) => ({ ...inner, ...replace(inner) }));

describe('runStorageConformance', () => {
  it('passes the reference storage, and registers a test for every capability', async () => {
    const tests = collect(clocked());
    for (const capability of ['records', 'refs', 'single-use records', 'inbox', 'prune', 'transaction', 'differential']) {
      expect([...tests.keys()].some((name) => name.includes(` > ${capability} > `))).toBe(true);
    }
    expect(await failures(clocked())).toEqual([]);
  });

  it('registers the transaction tests unless told the store has none, and fails a storage without transaction', async () => {
    const all = [...collect({ ...clocked((inner) => ({ ...inner, transaction: undefined })) })];
    const transactionTests = all.filter(([name]) => name.includes(' > transaction > '));
    expect(transactionTests.length).toBe(6);
    for (const [, run] of transactionTests) await expect(run()).rejects.toThrow(/storage.transaction is missing/);
    expect(all.length - collect({ ...clocked(), transactions: false }).size).toBe(6);
  });

  it('runs only the capabilities asked for', () => {
    const names = [...collect({ ...clocked(), capabilities: ['single-use'] }).keys()];
    expect(names.length).toBe(3);
    expect(names.every((name) => name.includes(' > single-use records > '))).toBe(true);
  });

  it('catches a consume that reads, yields, then deletes', async () => {
    const failed = await failures(
      broken((inner) => ({
        async consume<D>(kind: string, id: string, now: number) {
          const record = await inner.get<D>(kind, id);
          await tick();
          await inner.consume(kind, id, now);
          return record && (record.expiresAt === null || record.expiresAt > now) ? record : null;
        },
      })),
    );
    expect(failed).toEqual([expect.stringContaining('concurrent consumers')]);
  });

  it('catches a claim that reads, yields, then writes', async () => {
    const failed = await failures(
      broken((inner) => ({
        async claimEvent(event, options) {
          const before = (await inner.listEvents({ limit: 1000 })).find((e) => e.id === event.id);
          await tick();
          const claim = await inner.claimEvent(event, options);
          // Trusts what it read before yielding: a caller that saw no event believes it won.
          return before === undefined && options.lease !== false ? { status: 'claimed', token: 'mine', attempts: 1 } : claim;
        },
      })),
    );
    expect(failed).toEqual(
      expect.arrayContaining([expect.stringContaining('gives a new event to exactly one of 50 concurrent claims')]),
    );
  });

  it('catches an update that ignores the version guard, and one that ignores statuses', async () => {
    expect(
      await failures(
        broken((inner) => ({
          update: (kind, id, next, guard) => inner.update(kind, id, next, { ...guard, version: undefined }),
        })),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('guarded by the version read'),
        expect.stringContaining('loses no update when 50 callers'),
        expect.stringContaining('same expected version'),
      ]),
    );
    expect(
      await failures(
        broken((inner) => ({
          update: (kind, id, next, guard) => inner.update(kind, id, next, { ...guard, statuses: undefined }),
        })),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('guarded by statuses'),
        expect.stringContaining('conflicting transitions'),
      ]),
    );
  });

  it('catches an insert that overwrites, and an update that changes createdAt', async () => {
    expect(
      await failures(
        broken((inner) => ({
          insert: async (record) => {
            const existing = await inner.get(record.kind, record.id);
            if (existing) await inner.update(record.kind, record.id, record, {});
            return inner.insert(record);
          },
        })),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('stores a record once')]));
    expect(
      await failures(
        broken((inner) => ({
          update: async (kind, id, next, guard) => {
            const result = await inner.update(kind, id, next, guard);
            return result.applied && result.record
              ? { ...result, record: { ...result.record, createdAt: next.createdAt } }
              : result;
          },
        })),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('keeps kind, id and createdAt')]));
  });

  it('catches a resolve where the last link wins', async () => {
    const failed = await failures(
      broken((inner) => {
        const last = new Map<string, [string, string]>();
        const remember = (r: { kind: string; id: string; refs: readonly string[] }) => {
          for (const ref of r.refs) last.set(ref, [r.kind, r.id]);
        };
        return {
          insert: async (record) => {
            remember(record);
            return inner.insert(record);
          },
          update: async (kind, id, next, guard) => {
            const result = await inner.update(kind, id, next, guard);
            if (result.applied) remember({ ...next, kind, id });
            return result;
          },
          resolve: async (stripeId) => {
            const link = last.get(stripeId);
            return link ? inner.get(link[0], link[1]) : null;
          },
        };
      }),
    );
    expect(failed).toEqual(expect.arrayContaining([expect.stringContaining('first record that carried it')]));
  });

  it('catches a settlement that ignores the token, and a worker that takes failed or not yet due events', async () => {
    expect(
      await failures(
        broken((inner) => ({
          settleEvent: async (eventId, _token, settlement) => {
            const claim = await inner.claimEvent(
              {
                id: eventId,
                type: '',
                account: null,
                objectId: null,
                livemode: false,
                created: 0,
                payload: '',
                source: 'delivery',
              },
              { leaseMs: 0 },
            );
            return claim.status === 'claimed' ? inner.settleEvent(eventId, claim.token, settlement) : false;
          },
        })),
      ),
    ).toEqual(expect.arrayContaining([expect.stringContaining('only with the holder')]));
    expect(
      await failures(
        broken((inner) => ({
          claimNextEvents: async (options) => {
            // Releases every failed or waiting event first: takes events that are not due.
            for (const event of await inner.listEvents({ statuses: ['failed', 'pending'], limit: 1000 })) {
              const claim = await inner.claimEvent({ ...event, payload: event.payload ?? '' }, { leaseMs: 0 });
              if (claim.status === 'claimed')
                await inner.settleEvent(event.id, claim.token, { status: 'pending', error: '', retryAt: 0 });
            }
            return inner.claimNextEvents(options);
          },
        })),
      ),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('no worker takes it'),
        expect.stringContaining('waits for the retry time'),
      ]),
    );
  });

  it('catches a transaction that does not roll back, and one that shows uncommitted writes', async () => {
    const failed = await failures(
      broken((inner) => ({ transaction: async <T>(fn: (tx: MarketplaceStorage) => Promise<T>) => fn(inner) })),
    );
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.stringContaining('rolls back every write'),
        expect.stringContaining('nests'),
        expect.stringContaining('shows no uncommitted write'),
      ]),
    );
  });

  it('catches a differing answer in the differential run', async () => {
    const failed = await failures(
      broken((inner) => ({
        list: async <D>(kind: string, query: ListQuery) =>
          (await inner.list<D>(kind, query)).slice(0, Math.max(1, query.limit - 1)),
      })),
      / > differential > /,
    );
    expect(failed).toEqual([expect.stringMatching(/step \d+ \(op 4\): the adapter disagrees with the reference/)]);
  });
});

describe('runStorageConformance across processes', () => {
  const module = fileURLToPath(new URL('./json-file-storage.mjs', import.meta.url));
  const namespaces: string[] = [];
  afterAll(() => Promise.all(namespaces.map((namespace) => removeStorage(namespace))));
  const inProcess = {
    create: () => {
      namespaces.push(`inproc_${process.pid}_${namespaces.length}`);
      return jsonFileStorage(namespaces[namespaces.length - 1]) as Promise<MarketplaceStorage>;
    },
    cleanup: () => undefined,
    transactions: false,
  };

  it('passes an adapter that is atomic within one process through the in-process races', async () => {
    expect(await failures({ ...inProcess, concurrency: 20 }, /concurrent|callers each read/)).toEqual([]);
  });

  it('fails that adapter in the multi-process part', async () => {
    const runs: string[] = [];
    const tests = collect({
      ...inProcess,
      capabilities: ['processes'],
      processes: {
        module,
        env: { JSON_STORAGE_PAUSE_MS: '5' },
        cleanup: async (namespace) => {
          runs.push(namespace);
          await removeStorage(namespace);
        },
      },
    });
    expect([...tests.keys()]).toEqual([expect.stringContaining('processes > keeps every atomic guarantee across 4 processes')]);
    const [run] = [...tests.values()];
    const error = await run!().then(
      () => null,
      (e: Error) => e,
    );
    // Every guarantee the part checks is broken by this adapter, and each is reported.
    expect(error?.message).toMatch(/not atomic across processes/);
    expect(error?.message).toMatch(/insert: ([2-9]|\d\d) of 52 concurrent inserts of one record reported created/);
    expect(error?.message).toMatch(/update: ([2-9]|\d\d) of 52 updates expecting version 1 applied/);
    expect(error?.message).toMatch(/lost updates/);
    expect(error?.message).toMatch(/consume: ([2-9]|\d\d) of 52 concurrent consumers/);
    expect(error?.message).toMatch(/claimEvent: ([2-9]|\d\d) of 52 concurrent claims/);
    expect(error?.message).toMatch(/claimNextEvents: \d+ events were handed out twice/);
    expect(runs.length).toBe(1);
  });

  it('passes the same adapter once its lock holds across processes (a lock file)', async () => {
    const tests = collect({
      ...inProcess,
      concurrency: 12,
      capabilities: ['processes'],
      processes: { module, count: 3, env: { JSON_STORAGE_PAUSE_MS: '1', JSON_STORAGE_FILE_LOCK: '1' }, cleanup: removeStorage },
    });
    expect([...tests.keys()]).toEqual([expect.stringContaining('across 3 processes of 4 concurrent callers each')]);
    await [...tests.values()][0]!();
  });

  it('counts winners across processes: processes that share nothing each win once', async () => {
    // Each process keeps its own memory store, so nothing is shared: the suite must report that every
    // process won. This proves the checks count across processes, not within one.
    const tests = collect({
      ...inProcess,
      capabilities: ['processes'],
      processes: {
        module: fileURLToPath(new URL('./memory-process-storage.ts', import.meta.url)),
        execArgv: ['--import', 'tsx'],
      },
    });
    const [run] = [...tests.values()];
    await expect(run!()).rejects.toThrow(/insert: 4 of 52 concurrent inserts of one record reported created/);
  });
});

describe('stripe-marketplace/testing stays runtime-neutral', () => {
  it('loads the process runner (node:child_process) only by a dynamic import, when `processes` is given', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = fileURLToPath(new URL('../../src/testing/conformance/', import.meta.url));
    for (const file of await readdir(dir)) {
      const source = await readFile(`${dir}${file}`, 'utf8');
      // Type-only imports vanish from the build; only value imports load modules.
      const staticImports = [...source.matchAll(/^import (?!type ).* from '([^']+)';$/gm)].map((m) => m[1]);
      if (file === 'processes-node.ts') expect(staticImports).toContain('node:child_process');
      else expect(staticImports.filter((s) => s?.startsWith('node:') || s?.includes('processes-node'))).toEqual([]);
    }
    const processes = await readFile(`${dir}processes.ts`, 'utf8');
    // Through package.json "imports": the `node` condition loads the runner, other runtimes a stub (checked on the
    // built package by scripts/check-package.mjs, which walks the module graph of every subpath).
    expect(processes).toContain("await import('#conformance-processes')");
  });
});
