/**
 * Saving and restoring a sandbox's state (`createSandbox({ file })`): every piece of module state, the ledger, the
 * events, the ids counter, the clock's offset and the webhook endpoints (with their secrets) as one JSON document.
 * Runtime-neutral: the file I/O lives in `persist-node.ts`, imported only when a file is given.
 */
import type Stripe from 'stripe';
import type { SandboxCore } from './core/core.js';
import { STATE_KEYS, Store } from './core/store.js';
import type { WebhookSnapshot } from './webhooks.js';

/** The format of the saved document; a file written by another format is refused, not half read. */
export const SNAPSHOT_FORMAT = 'stripe-marketplace-sandbox/1';

export interface SandboxSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  platformId: string;
  counters: { tag: string; counter: number; offsetMs: number };
  /** Each piece of state by the name its module gave it (`defineState` / `defineStore`). */
  state: Record<string, unknown>;
  events: Stripe.Event[];
  webhooks: WebhookSnapshot;
}

/** The sandbox's whole state as one JSON text. Maps, sets and stores are tagged so that they come back as such. */
export function encodeSnapshot(core: SandboxCore): string {
  const state: Record<string, unknown> = {};
  for (const [name, key] of STATE_KEYS) {
    const value = core.peek(key);
    if (value !== undefined) state[name] = value;
  }
  const snapshot: SandboxSnapshot = {
    format: SNAPSHOT_FORMAT,
    platformId: core.platformId,
    counters: core.counters,
    state,
    events: core.events.list,
    webhooks: core.webhooks.snapshot(),
  };
  return JSON.stringify(snapshot, (_key, value: unknown) => {
    if (value instanceof Store) return { $store: [...(value as Store<unknown>).rows] };
    if (value instanceof Map) return { $map: [...value] };
    if (value instanceof Set) return { $set: [...value] };
    return value;
  });
}

/** Parses a saved document; throws a TypeError naming `source` when it is not one. */
export function decodeSnapshot(text: string, source: string): SandboxSnapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const tagged = value as {
          $store?: [string, { owner: string; obj: unknown }][];
          $map?: [unknown, unknown][];
          $set?: unknown[];
        };
        if (tagged.$store) {
          const store = new Store<unknown>();
          for (const [id, { owner, obj }] of tagged.$store) store.set(id, owner, obj);
          return store;
        }
        if (tagged.$map) return new Map(tagged.$map);
        if (tagged.$set) return new Set(tagged.$set);
      }
      return value;
    });
  } catch (error) {
    throw new TypeError(
      `createSandbox: ${source} is not a saved sandbox (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if ((parsed as Partial<SandboxSnapshot> | null)?.format !== SNAPSHOT_FORMAT)
    throw new TypeError(`createSandbox: ${source} is not a saved sandbox of format ${SNAPSHOT_FORMAT}`);
  return parsed as SandboxSnapshot;
}

/** Copies `saved` into `target` in place, so that every reference the core and modules hold stays valid. */
function fill(target: unknown, saved: unknown, name: string): void {
  if (target instanceof Store && saved instanceof Store) {
    target.rows.clear();
    for (const [id, row] of saved.rows) target.rows.set(id, row);
  } else if (target instanceof Map && saved instanceof Map) {
    target.clear();
    for (const [k, v] of saved) target.set(k, v);
  } else if (target instanceof Set && saved instanceof Set) {
    target.clear();
    for (const v of saved) target.add(v);
  } else if (Array.isArray(target) && Array.isArray(saved)) {
    target.splice(0, target.length, ...saved);
  } else if (target && typeof target === 'object' && saved && typeof saved === 'object') {
    for (const k of Object.keys(target)) delete (target as Record<string, unknown>)[k];
    Object.assign(target, saved);
  } else {
    throw new TypeError(`createSandbox: the saved state "${name}" does not match this version of the sandbox`);
  }
}

/** Replaces the core's state with a saved one. State this sandbox does not know (a removed module) is ignored. */
export function restoreSnapshot(core: SandboxCore, snapshot: SandboxSnapshot): void {
  core.platformId = snapshot.platformId;
  core.counters = snapshot.counters;
  for (const [name, key] of STATE_KEYS) {
    const saved = snapshot.state[name];
    const target = core.peek(key);
    if (saved === undefined) {
      if (target !== undefined) fill(target, key.create(), name);
    } else fill(core.state(key), saved, name);
  }
  core.events.list.splice(0, core.events.list.length, ...snapshot.events);
  core.webhooks.restore(snapshot.webhooks);
}

/**
 * Saves a sandbox after each change, at most once per `delayMs` (debounced), one write at a time. `write` replaces
 * the file atomically.
 */
export class SandboxPersister {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  /** The error of the last write started by the timer, reported by the next `save()` or `close()`. */
  private failure: unknown;

  constructor(
    private readonly core: SandboxCore,
    private readonly write: (text: string) => Promise<void>,
    private readonly delayMs: number,
  ) {}

  /** Marks the state changed; it is saved `delayMs` after the last change. */
  changed(): void {
    this.dirty = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch((error: unknown) => {
        this.failure = error;
      });
    }, this.delayMs);
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  /** Saves now (after any write in progress). Resolves when the file holds the current state. */
  save(): Promise<void> {
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) return Promise.reject(failure);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    const text = encodeSnapshot(this.core);
    const next = this.writing.then(() => this.write(text));
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Saves what changed since the last save, and stops the timer. */
  async close(): Promise<void> {
    if (this.dirty || this.failure !== undefined) await this.save();
    else await this.writing;
  }
}
