import type Stripe from 'stripe';
import { type CommissionContext, type CommissionPolicy, computeCommission } from './core/money/commission.js';
import type { DisputePolicy } from './core/money/dispute.js';
import type { RefundPolicy } from './core/money/refund.js';
import type { MarketplaceStorage } from './storage/types.js';
import { stripeError } from './errors.js';
import type { KeyedLock } from './util/keyed-lock.js';
import { type TimeLimits, withTimeLimit } from './util/time-limit.js';

/** A logger the library writes to. Every method is optional; the default logger says nothing. */
export interface Logger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
  warn?(message: string, meta?: Record<string, unknown>): void;
  error?(message: string, meta?: Record<string, unknown>): void;
}

/**
 * What the services and flows depend on: the user's Stripe client, storage, policy and settings, and
 * the Marketplace instance's locks. Dependencies only: no state of its own.
 */
export interface Context {
  readonly stripe: Stripe;
  readonly storage: MarketplaceStorage;
  readonly commission: CommissionPolicy;
  /** Who bears a dispute: what to take back from each vendor when it opens (`disputePolicy` option). */
  readonly disputePolicy: DisputePolicy;
  /** Who bears each refund (`proportionalRefund()` unless the options say otherwise). */
  readonly refundPolicy: RefundPolicy;
  readonly logger: Logger;
  readonly oauthClientId: string | undefined;
  readonly oauthStateTtlMs: number;
  readonly now: () => number;
  /** Serialises re-reads of one Stripe account within this Marketplace instance. */
  readonly accountLocks: KeyedLock;
  /** How long to wait for the commission policy, handlers and storage (`storage` above is already limited). */
  readonly timeouts: TimeLimits;
}

/** Runs a Stripe call and wraps its failure as `STRIPE_ERROR`. */
export async function callStripe<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw stripeError(operation, error);
  }
}

/**
 * Asks the commission policy (`computeCommission`: its answer checked), within `timeouts.commissionMs`: a
 * policy that has not answered by then fails the call with `TIMEOUT`. Every place that prices a fee goes
 * through here (single-vendor checkouts, cart items, subscriptions and their invoices).
 */
export function askCommission(ctx: Context, question: CommissionContext): Promise<number> {
  return withTimeLimit(ctx.timeouts.commissionMs, 'the commission policy', () => computeCommission(ctx.commission, question));
}
