import type Stripe from 'stripe';

/** An in-process endpoint: gets the raw body and the `Stripe-Signature` header, answers with an HTTP status. */
export type WebhookHandler = (body: string, signature: string) => Promise<{ status: number }> | { status: number };

export interface WebhookEndpointOptions {
  /** Deliver with `fetch` (POST) to this URL ... */
  url?: string;
  /** ... or call this function in-process (for example `(body, signature) => market.handleWebhook({ body, signature })`). */
  handler?: WebhookHandler;
  /** A Connect endpoint receives the events of connected accounts (those with `event.account`); a platform endpoint the others. */
  connect?: boolean;
  /** The signing secret (`whsec_...`). A random one is made when omitted. */
  secret?: string;
  /** Event types to deliver; default every type (`['*']`). */
  enabledEvents?: string[];
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly secret: string;
  readonly connect: boolean;
  readonly url: string | null;
  readonly enabledEvents: readonly string[];
}

export interface WebhookDeliveryOptions {
  /**
   * `true` (default): each event is delivered right after the request that caused it (on a zero-delay timer).
   * `false`: nothing is delivered until `flushWebhooks()`.
   */
  autoDeliver?: boolean;
  /**
   * Delays in milliseconds before each retry of a delivery that got no 2xx answer; its length bounds the
   * attempts (default `[1000, 5000, 30000]`: four attempts). `flushWebhooks()` retries without waiting.
   */
  retrySchedule?: number[];
  /** Fault injection: deliver each event twice (`true`), or with this probability (0 to 1, from `seed`). */
  duplicate?: boolean | number;
  /** Fault injection: deliver each batch of pending events newest first. */
  outOfOrder?: boolean;
  /** Seed of the random choices of `duplicate`. Default 1. */
  seed?: number;
}

export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventType: string;
  readonly endpointId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The endpoint's HTTP status, or 0 when it could not be reached or threw. */
  readonly status: number;
  readonly error: string | null;
  readonly duplicate: boolean;
  /** When the attempt was answered, in milliseconds on the sandbox's clock. */
  readonly at: number;
}

/** What a saved sandbox keeps of its webhooks: the endpoints (their secrets, not in-process handlers) and the attempts. */
export interface WebhookSnapshot {
  endpoints: WebhookEndpoint[];
  attempts: DeliveryAttempt[];
}

export interface FlushResult {
  /** Attempts made during this flush, in order. */
  readonly attempts: readonly DeliveryAttempt[];
  /** Deliveries that used up every retry without a 2xx answer. */
  readonly failed: readonly DeliveryAttempt[];
}

interface Pending {
  event: Stripe.Event;
  endpoint: Endpoint;
  attempt: number;
  dueAt: number;
  duplicate: boolean;
}

interface Endpoint extends WebhookEndpoint {
  readonly handler: WebhookHandler | undefined;
}

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A `Stripe-Signature` header for `payload`: `t=<unix seconds>,v1=<HMAC-SHA256 of "t.payload" with the secret>`,
 * computed with Web Crypto, exactly as Stripe signs deliveries.
 */
export async function signPayload(payload: string, secret: string, timestampSeconds: number): Promise<string> {
  const key = await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await globalThis.crypto.subtle.sign('HMAC', key, encoder.encode(`${timestampSeconds}.${payload}`));
  return `t=${timestampSeconds},v1=${hex(mac)}`;
}

/** mulberry32: a small seeded generator, so that fault injection is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class WebhookDispatcher {
  private readonly endpoints: Endpoint[] = [];
  private queue: Pending[] = [];
  private readonly log: DeliveryAttempt[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly random: () => number;
  private readonly schedule: readonly number[];
  private closed = false;
  /** Called after each delivery attempt (a saved sandbox saves then). */
  onAttempt: (() => void) | null = null;
  /** Endpoints of a restored sandbox that were in-process handlers: `addEndpoint` gives them their handler back. */
  private detached: WebhookEndpoint[] = [];
  /** URL endpoints of a restored sandbox (they deliver already): `addEndpoint` with the same URL returns them once. */
  private restoredUrls: WebhookEndpoint[] = [];

  constructor(
    private readonly options: WebhookDeliveryOptions,
    private readonly nowMs: () => number,
    private readonly newId: (prefix: string) => string,
    private readonly newSecret: () => string,
  ) {
    this.random = seeded(options.seed ?? 1);
    this.schedule = options.retrySchedule ?? [1000, 5000, 30000];
  }

  addEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
    if ((options.url === undefined) === (options.handler === undefined)) {
      throw new TypeError('addWebhookEndpoint: pass exactly one of url or handler');
    }
    if (options.secret !== undefined && !/^whsec_\S+$/.test(options.secret)) {
      throw new TypeError('addWebhookEndpoint: secret must start with whsec_');
    }
    const connect = options.connect === true;
    const url = options.url ?? null;
    const enabledEvents = options.enabledEvents ?? ['*'];
    const same = (e: WebhookEndpoint) =>
      e.connect === connect && e.url === url && e.enabledEvents.join(',') === enabledEvents.join(',');
    // A restored sandbox keeps its endpoints: registering the same one again returns it, with its id and secret.
    const restored = url !== null ? this.restoredUrls.find(same) : this.detached.find(same);
    if (restored && (options.secret === undefined || options.secret === restored.secret)) {
      if (url !== null) {
        this.restoredUrls = this.restoredUrls.filter((e) => e !== restored);
        return { ...restored };
      }
      this.detached = this.detached.filter((e) => e !== restored);
      this.endpoints.push({ ...restored, handler: options.handler });
      return { ...restored };
    }
    const endpoint: Endpoint = {
      id: this.newId('we'),
      secret: options.secret ?? this.newSecret(),
      connect,
      url,
      enabledEvents,
      handler: options.handler,
    };
    this.endpoints.push(endpoint);
    return this.visible(endpoint);
  }

  private visible(endpoint: Endpoint): WebhookEndpoint {
    const { handler: _handler, ...visible } = endpoint;
    return visible;
  }

  /** The registered endpoints, without their handlers. */
  endpointList(): WebhookEndpoint[] {
    return [...this.endpoints.map((e) => this.visible(e)), ...this.detached];
  }

  /** The endpoints and the attempts, as JSON-safe data (pending deliveries are not kept). */
  snapshot(): WebhookSnapshot {
    return { endpoints: this.endpointList(), attempts: [...this.log] };
  }

  /** Takes back a snapshot: URL endpoints deliver again at once; handler endpoints wait for `addEndpoint`. */
  restore(snapshot: WebhookSnapshot): void {
    this.endpoints.length = 0;
    this.detached = snapshot.endpoints.filter((e) => e.url === null);
    this.restoredUrls = snapshot.endpoints.filter((e) => e.url !== null);
    for (const e of this.restoredUrls) this.endpoints.push({ ...e, handler: undefined });
    this.log.length = 0;
    this.log.push(...snapshot.attempts);
  }

  /** How many endpoints an event goes to (its `pending_webhooks`). */
  countFor(event: Pick<Stripe.Event, 'type' | 'account'>): number {
    return this.endpoints.filter((e) => this.matches(e, event)).length;
  }

  private matches(endpoint: Endpoint, event: Pick<Stripe.Event, 'type' | 'account'>): boolean {
    const isConnect = event.account !== undefined;
    if (endpoint.connect !== isConnect) return false;
    return endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(event.type);
  }

  enqueue(event: Stripe.Event): void {
    for (const endpoint of this.endpoints) {
      if (!this.matches(endpoint, event)) continue;
      const dueAt = this.nowMs();
      this.queue.push({ event, endpoint, attempt: 1, dueAt, duplicate: false });
      const dup = this.options.duplicate;
      if (dup === true || (typeof dup === 'number' && this.random() < dup)) {
        this.queue.push({ event, endpoint, attempt: 1, dueAt, duplicate: true });
      }
    }
    if (this.options.autoDeliver !== false) this.arm(0);
  }

  private arm(delay: number): void {
    if (this.closed || this.timer !== undefined) return;
    const timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(() => this.drain(false));
    }, delay);
    // A pending retry must not keep a process (a test runner, the demo) alive.
    (timer as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Delivers what is due (or, with `all`, everything pending), once. Returns the attempts and the given-up ones. */
  private async drain(all: boolean): Promise<FlushResult> {
    const now = this.nowMs();
    const due = this.queue.filter((p) => all || p.dueAt <= now);
    this.queue = this.queue.filter((p) => !due.includes(p));
    if (this.options.outOfOrder) due.reverse();
    const attempts: DeliveryAttempt[] = [];
    const failed: DeliveryAttempt[] = [];
    for (const item of due) {
      const attempt = await this.deliver(item);
      attempts.push(attempt);
      if (attempt.status >= 200 && attempt.status < 300) continue;
      const delay = this.schedule[item.attempt - 1];
      if (delay === undefined) failed.push(attempt);
      else this.queue.push({ ...item, attempt: item.attempt + 1, dueAt: this.nowMs() + delay });
    }
    if (!all && this.options.autoDeliver !== false && this.queue.length > 0) {
      const next = Math.min(...this.queue.map((p) => p.dueAt));
      this.arm(Math.max(0, next - this.nowMs()));
    }
    return { attempts, failed };
  }

  private async deliver(item: Pending): Promise<DeliveryAttempt> {
    const body = JSON.stringify(item.event, null, 2);
    const signature = await signPayload(body, item.endpoint.secret, Math.floor(this.nowMs() / 1000));
    let status = 0;
    let error: string | null = null;
    try {
      if (item.endpoint.handler) {
        const answer = await item.endpoint.handler(body, signature);
        status = typeof answer?.status === 'number' ? answer.status : 0;
        if (status === 0) error = 'the handler did not return { status }';
      } else {
        const response = await fetch(item.endpoint.url as string, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'stripe-signature': signature,
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          },
          body,
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      }
    } catch (cause) {
      status = 0;
      error = cause instanceof Error ? cause.message : String(cause);
    }
    const attempt: DeliveryAttempt = {
      eventId: item.event.id,
      eventType: item.event.type,
      endpointId: item.endpoint.id,
      attempt: item.attempt,
      status,
      error,
      duplicate: item.duplicate,
      at: this.nowMs(),
    };
    this.log.push(attempt);
    this.onAttempt?.();
    return attempt;
  }

  /**
   * Delivers every pending event now, retrying failures without waiting for their schedule, until nothing is
   * pending (events that handlers cause are delivered too). Deterministic: await it in tests.
   */
  flush(): Promise<FlushResult> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.run(async () => {
      const attempts: DeliveryAttempt[] = [];
      const failed: DeliveryAttempt[] = [];
      for (let round = 0; this.queue.length > 0; round++) {
        if (round > 10_000) throw new Error('flushWebhooks: deliveries keep causing new events; giving up');
        const result = await this.drain(true);
        attempts.push(...result.attempts);
        failed.push(...result.failed);
      }
      return { attempts, failed };
    });
  }

  /** Every delivery attempt so far, oldest first. */
  attempts(): readonly DeliveryAttempt[] {
    return [...this.log];
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
