import type Stripe from 'stripe';
import type { CommissionPolicy } from './money/commission.js';
import type { MarketplaceStorage } from './storage/types.js';
import { storageError, stripeError } from './errors.js';

/** A logger the library writes to. Every method is optional; the default logger says nothing. */
export interface Logger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
  warn?(message: string, meta?: Record<string, unknown>): void;
  error?(message: string, meta?: Record<string, unknown>): void;
}

/** What the flows share: the user's Stripe client, storage, policy and settings. */
export interface Context {
  readonly stripe: Stripe;
  readonly storage: MarketplaceStorage;
  readonly commission: CommissionPolicy;
  readonly logger: Logger;
  readonly oauthClientId: string | undefined;
  readonly oauthStateTtlMs: number;
  readonly now: () => number;
}

/** Runs a Stripe call and wraps its failure as `STRIPE_ERROR`. */
export async function callStripe<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw stripeError(operation, error);
  }
}

/** Runs a storage call and wraps its failure as `STORAGE_ERROR`. */
export async function callStorage<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageError(operation, error);
  }
}
