import type Stripe from 'stripe';
import { randomToken } from '../../../util/random.js';
import { WebhookDispatcher } from '../webhooks.js';
import { EventLog } from './events.js';
import { IdempotencyCache } from './idempotency.js';
import { BALANCE_TRANSACTIONS, Ledger } from './ledger.js';
import { defineStore, type StateKey, type Store } from './store.js';
import { SANDBOX_API_VERSION, type RequestContext, type SandboxOptions } from './types.js';

/** The connected accounts (owned by the platform). Requests may act as one with `Stripe-Account`. */
export const ACCOUNTS = defineStore<Stripe.Account>('accounts');

/**
 * The state every resource module works on: the clock and ids, the platform's id, the origin of hosted pages, state
 * per owner account (`state(key)`), the ledger, the event log with webhook delivery, idempotency, and the request
 * being handled.
 */
export class SandboxCore {
  /** The platform's own account id (a restored sandbox takes its saved one). */
  platformId: string;
  /** Called after each change of state (an event, a control, the clock): a saved sandbox saves then. */
  onChange: (() => void) | null = null;
  readonly webhooks: WebhookDispatcher;
  readonly accounts: Store<Stripe.Account>;
  readonly ledger: Ledger;
  readonly events: EventLog;
  readonly idempotency: IdempotencyCache;
  /** The request being handled, or null between requests. */
  current: RequestContext | null = null;
  private readonly clock: () => number;
  private offsetMs = 0;
  private tag = randomToken(6).replace(/[-_]/g, 'x');
  private counter = 0;
  private originUrl: string;
  private readonly slots = new Map<StateKey<unknown>, unknown>();

  constructor(options: SandboxOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.originUrl = (options.baseUrl ?? 'http://stripe-sandbox.invalid').replace(/\/+$/, '');
    const feeBasisPoints = options.processingFee?.basisPoints ?? 0;
    const feeFixed = options.processingFee?.fixed ?? 0;
    for (const value of [feeBasisPoints, feeFixed]) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new TypeError('createSandbox: processingFee takes non-negative integers');
    }
    this.platformId = this.id('acct');
    this.webhooks = new WebhookDispatcher(
      options.webhooks ?? {},
      () => this.nowMs(),
      (prefix) => this.id(prefix),
      () => `whsec_${randomToken(24)}`,
    );
    this.accounts = this.state(ACCOUNTS);
    const newId = (prefix: string) => this.id(prefix);
    const nowSeconds = () => this.nowSeconds();
    this.ledger = new Ledger(this.state(BALANCE_TRANSACTIONS), newId, nowSeconds, feeBasisPoints, feeFixed);
    const delayDays = options.settlementDelayDays ?? 0;
    if (!Number.isSafeInteger(delayDays) || delayDays < 0)
      throw new TypeError('createSandbox: settlementDelayDays takes a non-negative integer');
    this.ledger.settlementDelaySeconds = delayDays * 86_400;
    this.events = new EventLog(
      this.webhooks,
      () => this.platformId,
      newId,
      nowSeconds,
      () => this.current,
    );
    this.idempotency = new IdempotencyCache(() => this.nowMs());
    for (const [currency, amount] of Object.entries(options.platformBalance ?? {})) {
      if (!Number.isSafeInteger(amount))
        throw new TypeError('createSandbox: platformBalance amounts are integers in minor units');
      this.ledger.record({
        account: this.platformId,
        amount,
        currency: currency.toLowerCase(),
        type: 'adjustment',
        reportingCategory: 'other_adjustment',
        source: this.id('adj'),
        description: 'Starting balance',
      });
    }
  }

  /** This sandbox's instance of a piece of module state, created on first use. */
  state<T>(key: StateKey<T>): T {
    let value = this.slots.get(key as StateKey<unknown>) as T | undefined;
    if (value === undefined) {
      value = key.create();
      this.slots.set(key as StateKey<unknown>, value);
    }
    return value;
  }

  /** This sandbox's instance of a piece of state, or undefined when nothing has used it yet. */
  peek<T>(key: StateKey<T>): T | undefined {
    return this.slots.get(key as StateKey<unknown>) as T | undefined;
  }

  /** Every piece of state created so far. */
  allState(): IterableIterator<unknown> {
    return this.slots.values();
  }

  // ---- clock, ids ----

  nowMs(): number {
    return this.clock() + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError('advanceTime takes a non-negative number of milliseconds');
    this.offsetMs += ms;
    this.onChange?.();
  }

  /** The ids counter, the id tag and the clock's offset, as a saved sandbox keeps them. */
  get counters(): { tag: string; counter: number; offsetMs: number } {
    return { tag: this.tag, counter: this.counter, offsetMs: this.offsetMs };
  }

  set counters(value: { tag: string; counter: number; offsetMs: number }) {
    this.tag = value.tag;
    this.counter = value.counter;
    this.offsetMs = value.offsetMs;
  }

  /** A new id with Stripe's `prefix`, unique in this sandbox and across sandboxes. */
  id(prefix: string): string {
    this.counter += 1;
    return `${prefix}_1Sbx${this.tag}${this.counter.toString().padStart(6, '0')}`;
  }

  get origin(): string {
    return this.originUrl;
  }

  setOrigin(url: string): void {
    this.originUrl = url.replace(/\/+$/, '');
  }

  // ---- events ----

  emit(type: string, object: { id?: string }, owner: string, previous?: Record<string, unknown>): void {
    this.events.emit(type, object, owner, previous);
    this.onChange?.();
  }

  // ---- requests ----

  /** The API version of the request being handled. */
  apiVersion(): string {
    return this.current?.apiVersion ?? SANDBOX_API_VERSION;
  }

  /** Runs a test control or a hosted page's action as a request of `account` (so its events carry a request id). */
  withRequest<T>(partial: { account: string; path: string }, run: () => T): T {
    const previous = this.current;
    this.current = {
      method: 'POST',
      path: partial.path,
      account: partial.account,
      requestId: this.id('req'),
      idempotencyKey: null,
      apiVersion: SANDBOX_API_VERSION,
    };
    try {
      return run();
    } finally {
      this.current = previous;
      this.onChange?.();
    }
  }
}
