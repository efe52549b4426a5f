import type { MarketplaceStorage } from '../../storage/types.js';
import { assertTrue } from './assert.js';

/** The test functions of any BDD runner: vitest, jest, mocha or `node:test`. */
export interface ConformanceRunner {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void>) => unknown;
}

/** The parts of the port the suite checks, one block of tests each. */
export type StorageCapability =
  | 'records'
  | 'refs'
  | 'single-use'
  | 'inbox'
  | 'prune'
  | 'transaction'
  | 'differential'
  | 'processes';

export const STORAGE_CAPABILITIES: readonly StorageCapability[] = [
  'records',
  'refs',
  'single-use',
  'inbox',
  'prune',
  'transaction',
  'differential',
  'processes',
];

/**
 * The multi-process part: several Node processes each build the adapter from a module you name, connected
 * to one shared store, and race on the same ids; the suite checks that every atomic guarantee holds
 * across processes (exactly one insert wins, at most one version-guarded update applies, a single-use
 * record is consumed once, an event is claimed once, `claimNextEvents` hands each event to one worker).
 */
export interface StorageProcessOptions {
  /**
   * The module (an absolute path or a `file:` URL) that builds the adapter. It exports a function
   * `(namespace: string) => MarketplaceStorage | Promise<MarketplaceStorage>` that connects to the shared
   * store and returns storage confined to `namespace` (a table prefix, a key prefix, a schema), creating
   * what it needs there (`migrate()`). Each run uses a fresh namespace; the first process builds the
   * adapter alone before the others start, so that a migration never races another.
   */
  module: string;
  /** The name of that function among the module's exports. Default `createStorage`. */
  exportName?: string;
  /** How many processes race. Default 4. */
  count?: number;
  /** Node options for the processes, for example `['--import', 'tsx']` when the module is TypeScript. */
  execArgv?: readonly string[];
  /** Environment variables added to the processes' (they inherit this process's environment). */
  env?: Readonly<Record<string, string>>;
  /** Called with the run's namespace once the processes have exited: drop what the run created. */
  cleanup?: (namespace: string) => void | Promise<void>;
}

export interface StorageConformanceOptions<S extends MarketplaceStorage = MarketplaceStorage> extends ConformanceRunner {
  /** Names the suite in the runner's output. */
  name: string;
  /** Returns a fresh, empty storage. Called once for every test. */
  create: () => S | Promise<S>;
  /** Called after every test with what `create` returned: drop its tables, close its connections. */
  cleanup?: (storage: S) => void | Promise<void>;
  /**
   * Whether the storage implements the optional `transaction`. Default true: the transaction tests run and
   * fail when it is missing. Pass false for a store without transactions, and they are not registered.
   */
  transactions?: boolean;
  /** How many concurrent callers the race tests start. Default 50. */
  concurrency?: number;
  /**
   * Moves the store's own clock (the one leases, retries and `receivedAt` use) forward by `ms`. When
   * given, the lease and retry tests advance it instead of waiting, and use leases of a minute. When
   * omitted (a database's `now()` cannot be moved), they use leases of `leaseMs` and wait for them in real
   * time: a few seconds in all.
   */
  advanceClock?: (storage: S, ms: number) => void | Promise<void>;
  /**
   * The lease of the tests that wait for a lease to end in real time (without `advanceClock`). Default
   * 300 ms; raise it when the store's round trip is slow enough that a lease could end before the test's
   * next call (the tests assert that a lease still holds right after it was taken).
   */
  leaseMs?: number;
  /** Only these parts of the suite. Default all; `processes` runs only when `processes` is given. */
  capabilities?: readonly StorageCapability[];
  /** The multi-process part (see `StorageProcessOptions`). Without it, that part is not registered. */
  processes?: StorageProcessOptions;
}

/** What every capability's tests share. */
export interface Harness<S extends MarketplaceStorage = MarketplaceStorage> {
  readonly options: StorageConformanceOptions<S>;
  /** Concurrent callers in the races. */
  readonly n: number;
  /** The lease of the tests that let a lease end. */
  readonly shortLeaseMs: number;
  /** A lease no test outlives. */
  readonly longLeaseMs: number;
  /** Registers a test that gets a fresh storage from `create` and hands it to `cleanup`. */
  test(name: string, body: (storage: S) => Promise<void>): void;
  /** Lets `ms` pass on the store's clock: advances it, or waits (with a margin; a lease ending at `t` may still hold at `t`). */
  elapse(storage: S, ms: number): Promise<void>;
}

export function harness<S extends MarketplaceStorage>(options: StorageConformanceOptions<S>): Harness<S> {
  const { it, create, cleanup, advanceClock } = options;
  const shortLeaseMs = advanceClock ? 60_000 : (options.leaseMs ?? 300);
  return {
    options,
    n: options.concurrency ?? 50,
    shortLeaseMs,
    longLeaseMs: 3_600_000,
    test(name, body) {
      it(name, async () => {
        const storage = await create();
        try {
          await body(storage);
        } finally {
          await cleanup?.(storage);
        }
      });
    },
    async elapse(storage, ms) {
      if (advanceClock) await advanceClock(storage, ms + 1);
      else await sleep(ms + 30);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `n` concurrent calls of `call`, started together; resolves when all settle, rejecting on the first failure. */
export function race<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

export const count = <T>(items: readonly T[], test: (item: T) => boolean) => items.filter(test).length;

export function transactionOf(storage: MarketplaceStorage): NonNullable<MarketplaceStorage['transaction']> {
  assertTrue(
    typeof storage.transaction === 'function',
    'storage.transaction is missing: implement it, or pass `transactions: false` when the store has no transactions',
  );
  return storage.transaction.bind(storage);
}
