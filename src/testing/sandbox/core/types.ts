import type { WebhookDeliveryOptions } from '../webhooks.js';

/** The API version the sandbox answers as: the one stripe-node 23 pins. */
export const SANDBOX_API_VERSION = '2026-10-28.endive';

export interface SandboxOptions {
  /** The clock, in milliseconds since the epoch. Default `Date.now`. `advanceTime` moves it further. */
  now?: () => number;
  /**
   * Stripe's processing fee, charged to the account that takes the payment (the platform, for destination
   * charges): `basisPoints` of the amount (rounded half up) plus `fixed` minor units. Default none, so that
   * balances show only the marketplace's own money movements.
   */
  processingFee?: { basisPoints?: number; fixed?: number };
  /**
   * Days a card payment's funds stay pending before they are available (`balance.available` when `advanceTime`
   * passes them). Default 0: everything settles at once. Stripe's delay depends on the country, for example 2 business
   * days in the US (https://docs.stripe.com/payouts#standard-payout-timing); `pm_card_bypassPending` always settles at once.
   */
  settlementDelayDays?: number;
  /** The platform's starting available balance per currency, in minor units (for transfers without a source charge). */
  platformBalance?: Record<string, number>;
  /** Webhook delivery and fault injection. */
  webhooks?: WebhookDeliveryOptions;
  /**
   * Origin of hosted pages (account links, Checkout, login links). Default `http://stripe-sandbox.invalid` until
   * `listen()` is called, then the listening address. `sandbox.fetch(request)` serves them whatever the host.
   */
  baseUrl?: string;
}

/** A request as the transports hand it to the sandbox. */
export interface RawRequest {
  method: string;
  host: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SandboxBalance {
  /** `'platform'` or the connected account's id. */
  readonly account: string;
  readonly currency: string;
  /** Available balance in minor units (the sandbox settles at once: nothing stays pending). */
  readonly available: number;
}

/** The request being handled; events record its id and idempotency key. */
export interface RequestContext {
  method: string;
  path: string;
  /** The account the request acts as: the `Stripe-Account` header, or the platform. */
  account: string;
  requestId: string;
  idempotencyKey: string | null;
  apiVersion: string;
}
