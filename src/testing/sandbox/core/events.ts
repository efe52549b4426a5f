import type Stripe from 'stripe';
import type { WebhookDispatcher } from '../webhooks.js';
import { SANDBOX_API_VERSION, type RequestContext } from './types.js';
import { clone } from './util.js';

/** Every event emitted, oldest first, each handed to the webhook dispatcher as it is emitted. */
export class EventLog {
  readonly list: Stripe.Event[] = [];

  constructor(
    private readonly webhooks: WebhookDispatcher,
    private readonly platformId: () => string,
    private readonly newId: (prefix: string) => string,
    private readonly nowSeconds: () => number,
    private readonly request: () => RequestContext | null,
  ) {}

  /** Emits `type` about `object`; events of connected accounts (`owner` not the platform) carry `account`. */
  emit(type: string, object: { id?: string }, owner: string, previous?: Record<string, unknown>): void {
    const account = owner === this.platformId() ? undefined : owner;
    const data: { object: unknown; previous_attributes?: Record<string, unknown> } = { object: clone(object) };
    if (previous) data.previous_attributes = clone(previous);
    const current = this.request();
    const event = {
      id: this.newId('evt'),
      object: 'event',
      api_version: SANDBOX_API_VERSION,
      created: this.nowSeconds(),
      data,
      livemode: false,
      pending_webhooks: this.webhooks.countFor({ type, account } as Stripe.Event),
      request: { id: current?.requestId ?? null, idempotency_key: current?.idempotencyKey ?? null },
      type,
      ...(account ? { account } : {}),
    } as unknown as Stripe.Event;
    this.list.push(event);
    this.webhooks.enqueue(event);
  }

  /** The events of `account` (the platform's own, or a connected account's Connect events). */
  of(account: string): Stripe.Event[] {
    const platform = this.platformId();
    return this.list.filter((e) => (e.account ?? platform) === account);
  }
}
