import { noSuch } from '../errors.js';

/** An object with the account that owns it (the platform, or a connected account acting through `Stripe-Account`). */
export interface Stored<T> {
  owner: string;
  obj: T;
}

/** Objects of one kind by id, each with its owner account. */
export class Store<T> {
  readonly rows = new Map<string, Stored<T>>();

  get(id: string): Stored<T> | undefined {
    return this.rows.get(id);
  }

  has(id: string): boolean {
    return this.rows.has(id);
  }

  set(id: string, owner: string, obj: T): Stored<T> {
    const stored = { owner, obj };
    this.rows.set(id, stored);
    return stored;
  }

  delete(id: string): void {
    this.rows.delete(id);
  }

  values(): IterableIterator<Stored<T>> {
    return this.rows.values();
  }

  /** The stored object when `account` owns it; otherwise Stripe's "No such ..." error naming `param`. */
  owned(id: string, account: string, kind: string, param: string): Stored<T> {
    const found = this.rows.get(id);
    if (!found || found.owner !== account) throw noSuch(kind, id, param);
    return found;
  }
}

/**
 * A piece of sandbox state that a module declares once, at module level, and every sandbox instance creates on first
 * use (`core.state(key)`). Modules add state without touching the core.
 */
export interface StateKey<T> {
  readonly name: string;
  create(): T;
}

/** Every key defined so far, by name: a saved sandbox (`createSandbox({ file })`) finds its state's keys here. */
export const STATE_KEYS = new Map<string, StateKey<unknown>>();

export function defineState<T>(name: string, create: () => T): StateKey<T> {
  const key = { name, create };
  if (!STATE_KEYS.has(name)) STATE_KEYS.set(name, key as StateKey<unknown>);
  return key;
}

/** A `Store` of API objects; list it in a resource module's `objects` so that `expand` finds its ids. */
export function defineStore<T>(name: string): StateKey<Store<T>> {
  return defineState(name, () => new Store<T>());
}
