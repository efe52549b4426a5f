import type Stripe from 'stripe';
import * as z from 'zod/mini';
import type { Logger } from './context.js';
import type { MarketplaceStorage } from './storage/types.js';
import { idSchema } from './util/schemas.js';
import { lazy } from './util/validate.js';

/** The schemas of the Marketplace's options and of its list methods' arguments (see `marketplace.ts`). */

const secretSchema = () => {
  const one = z.string().check(z.regex(/^whsec_\S+$/));
  return z.optional(z.union([one, z.array(one).check(z.minLength(1))]));
};

/** The most records one list call returns. */
export const MAX_LIST_LIMIT = 1000;

const limitSchema = () => z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_LIST_LIMIT)));

export const listVendorsSchema = lazy(() =>
  z.strictObject({
    statuses: z.optional(
      z.array(
        z.enum(['onboarding', 'pending_verification', 'action_required', 'restricted', 'active', 'rejected', 'disconnected']),
      ),
    ),
    limit: limitSchema(),
  }),
);

export const settleTransfersSchema = lazy(() => z.strictObject({ limit: limitSchema() }));

export const listOrdersSchema = lazy(() => z.strictObject({ vendorId: z.optional(idSchema()), limit: limitSchema() }));

const timeLimitSchema = () => z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3_600_000)));

export const optionsSchema = lazy(() =>
  z.strictObject({
    stripe: z.custom<Stripe>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Stripe).paymentIntents?.create === 'function' &&
        typeof (value as Stripe).webhooks?.constructEventAsync === 'function',
      { message: 'a Stripe client (new Stripe(key))' },
    ),
    storage: z.custom<MarketplaceStorage>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as MarketplaceStorage).get === 'function' &&
        typeof (value as MarketplaceStorage).claimEvent === 'function',
      {
        message: 'a storage adapter (memoryStorage() or postgresStorage(...)) implementing the storage contract of this version',
      },
    ),
    commission: z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
      message: 'a commission policy function, for example percentage(12)',
    }),
    disputePolicy: z.optional(
      z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
        message: 'a dispute policy function, for example vendorBearsDisputes()',
      }),
    ),
    refundPolicy: z.optional(
      z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', {
        message: 'a refund policy function, for example proportionalRefund()',
      }),
    ),
    webhookSecrets: z.optional(z.strictObject({ platform: secretSchema(), connect: secretSchema() })),
    livemode: z.optional(z.boolean()),
    eventLeaseMs: z.optional(z.number().check(z.int(), z.minimum(1_000), z.maximum(24 * 3_600_000))),
    webhookMode: z.optional(z.enum(['process', 'inbox'])),
    maxEventAttempts: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100))),
    webhookTransactions: z.optional(z.boolean()),
    webhookToleranceSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3_600))),
    oauth: z.optional(
      z.strictObject({
        clientId: z.optional(z.string().check(z.regex(/^ca_\S+$/))),
        stateTtlMs: z.optional(z.number().check(z.int(), z.minimum(10_000), z.maximum(24 * 3_600_000))),
      }),
    ),
    logger: z.optional(z.custom<Logger>((value) => typeof value === 'object' && value !== null, { message: 'a logger object' })),
    now: z.optional(z.custom<() => number>((value) => typeof value === 'function', { message: 'a function' })),
    timeouts: z.optional(
      z.strictObject({ commissionMs: timeLimitSchema(), handlerMs: timeLimitSchema(), storageMs: timeLimitSchema() }),
    ),
  }),
);
