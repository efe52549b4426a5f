import { MarketplaceError } from '../errors.js';
import type { MarketplaceStorage } from '../storage/types.js';

/** How long the library waits, in milliseconds, for code it calls but does not own. */
export interface TimeLimits {
  /** The commission policy, per call (a checkout, a cart item, a subscription, an invoice's fee). */
  readonly commissionMs: number;
  /** Each webhook handler (`on`, `onAny`) and each `onError` handler, per event. */
  readonly handlerMs: number;
  /** Each storage call; and a storage transaction's start (a connection) and its end (commit or rollback). */
  readonly storageMs: number;
}

/** The defaults: well below the default 60 s event lease, so a stuck event is answered 500 before its lease ends. */
export const DEFAULT_TIME_LIMITS: TimeLimits = Object.freeze({ commissionMs: 5_000, handlerMs: 30_000, storageMs: 20_000 });

export function timeoutError(what: string, ms: number, details: Record<string, unknown> = {}): MarketplaceError {
  return new MarketplaceError('TIMEOUT', `${what} did not answer within ${ms} ms`, { details: { ...details, timeoutMs: ms } });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs `task`; when it returns a promise that has not settled after `ms`, rejects with `TIMEOUT`. One timer
 * per call, cleared when the task settles; a synchronous answer sets none. The task itself cannot be
 * cancelled: its late answer (or failure) is ignored.
 */
export function withTimeLimit<T>(ms: number, what: string, task: () => T | PromiseLike<T>): Promise<T> {
  let answer: T | PromiseLike<T>;
  try {
    answer = task();
  } catch (error) {
    return Promise.reject(error);
  }
  if (!isThenable(answer)) return Promise.resolve(answer);
  const pending = answer;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError(what, ms)), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** What a transaction's calls check: whether they may still run. */
interface Fence {
  /** Set when the transaction's callback settled: its `tx` is no longer usable. */
  over: boolean;
  /** Set when a call in the transaction timed out: the transaction must end (rolled back), not go on. */
  timedOut: boolean;
}

/**
 * Maintenance calls whose run time grows with the data (a prune of a large inbox, a migration): not limited,
 * so that a long run is not reported as failed while it goes on. Their callers decide how long to wait.
 */
const UNLIMITED: ReadonlySet<string> = new Set(['prune', 'migrate']);

const methodNames = (fence: Fence | null, prop: string) => (fence ? `storage.${prop} (in a transaction)` : `storage.${prop}`);

/**
 * `storage` with a time limit on every call (`storageMs`). A call that times out rejects with `TIMEOUT`.
 *
 * `transaction(fn)`: waiting for the transaction to start (a free connection) and for it to end (commit or
 * rollback) are each limited; `fn` itself is not (the calls in it are). Inside, `tx` refuses every call once
 * one of its calls timed out (the transaction can only be rolled back) and once `fn` settled (so that a
 * handler that outlived its time limit cannot write outside the transaction, on a connection released to
 * the pool).
 */
export function timeLimitedStorage<S extends MarketplaceStorage>(storage: S, ms: number): S {
  const limited = wrap(storage, ms, null);
  given.set(limited, storage);
  return limited;
}

/** The storage a `timeLimitedStorage` wraps (outside transactions, handlers get the storage the user gave). */
const given = new WeakMap<object, MarketplaceStorage>();

/** The storage as the user gave it, when `storage` is the time-limited one; else `storage` itself (a transaction's). */
export function storageAsGiven(storage: MarketplaceStorage): MarketplaceStorage {
  return given.get(storage) ?? storage;
}

function wrap<S extends MarketplaceStorage>(storage: S, ms: number, fence: Fence | null): S {
  // One wrapper per method of the storage (re-made if the storage replaces a method).
  const cache = new Map<string, { readonly method: unknown; readonly wrapped: unknown }>();
  return new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      const known = cache.get(prop);
      if (known?.method === value) return known.wrapped;
      const method = value as (...args: unknown[]) => unknown;
      if (UNLIMITED.has(prop) && !fence) return method.bind(target);
      const wrapped =
        prop === 'transaction'
          ? (fn: (tx: MarketplaceStorage) => Promise<unknown>) => transaction(target, method, fn, ms, fence)
          : (...args: unknown[]) => {
              if (fence?.over) return Promise.reject(ended());
              if (fence?.timedOut) return Promise.reject(poisoned());
              const call = withTimeLimit(ms, methodNames(fence, prop), () => method.apply(target, args));
              if (!fence) return call;
              return call.catch((error: unknown) => {
                if (error instanceof MarketplaceError && error.code === 'TIMEOUT') fence.timedOut = true;
                throw error;
              });
            };
      cache.set(prop, { method, wrapped });
      return wrapped;
    },
  });
}

const ended = () =>
  new MarketplaceError('STORAGE_ERROR', 'this storage transaction has ended: a late call through its tx was refused');
const poisoned = () =>
  new MarketplaceError('TIMEOUT', 'a call in this storage transaction timed out: the transaction is rolled back, not continued');

function transaction<T>(
  target: MarketplaceStorage,
  method: (...args: unknown[]) => unknown,
  fn: (tx: MarketplaceStorage) => Promise<T>,
  ms: number,
  outer: Fence | null,
): Promise<T> {
  if (outer) {
    // A nested transaction (a savepoint) shares the outer one's fence; its calls are limited one by one.
    if (outer.over) return Promise.reject(ended());
    if (outer.timedOut) return Promise.reject(poisoned());
    return method.call(target, (tx: MarketplaceStorage) => fn(wrap(tx, ms, outer))) as Promise<T>;
  }
  return new Promise<T>((resolve, reject) => {
    let phase: 'start' | 'run' | 'end' | 'abandoned' = 'start';
    const expire = () => {
      const what = phase === 'start' ? 'starting a storage transaction' : 'ending a storage transaction';
      phase = 'abandoned';
      reject(timeoutError(what, ms));
    };
    let timer = setTimeout(expire, ms);
    const fence: Fence = { over: false, timedOut: false };
    const run = async (tx: MarketplaceStorage): Promise<T> => {
      // Nobody waits for a transaction that started too late: end it without running `fn`.
      if (phase === 'abandoned') throw timeoutError('starting a storage transaction', ms);
      clearTimeout(timer);
      phase = 'run';
      try {
        return await fn(wrap(tx, ms, fence));
      } finally {
        fence.over = true;
        phase = 'end';
        timer = setTimeout(expire, ms);
      }
    };
    let started: Promise<T>;
    try {
      started = Promise.resolve(method.call(target, run) as Promise<T>);
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      (value) => {
        clearTimeout(timer);
        if (phase !== 'abandoned') resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (phase !== 'abandoned') reject(error);
      },
    );
  });
}
