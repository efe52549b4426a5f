import { seedOrder, seedVendor } from '../records.js';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import type { MarketplaceOptions, MarketplaceStorage, OrderRecord, VendorRecord } from '../../src/index.js';
import { orderRecord as baseOrder, testStripe, vendorRecord as baseVendor } from '../helpers.js';

export { testStripe };

export const PLATFORM_SECRET = 'whsec_platform_test_secret';
export const CONNECT_SECRET = 'whsec_connect_test_secret';
export const ACCOUNT_ID = 'acct_1VendorTest';

export function makeMarket(overrides: Partial<MarketplaceOptions> = {}) {
  const stripe = testStripe();
  // The store's clock follows the Marketplace's, so that leases expire when a test moves time on.
  const storage: MarketplaceStorage = overrides.storage ?? memoryStorage(overrides.now ? { now: overrides.now } : {});
  const market = new Marketplace({
    stripe,
    storage,
    commission: percentage(12),
    webhookSecrets: { platform: PLATFORM_SECRET, connect: CONNECT_SECRET },
    livemode: false,
    ...overrides,
  });
  return { market, stripe, storage };
}

let counter = 0;
/** A Stripe snapshot event with a fresh id. */
export function stripeEvent(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  counter += 1;
  return {
    id: `evt_test_${counter}_${Math.random().toString(36).slice(2, 10)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: 1_760_000_000,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
    ...extra,
  };
}

/** The raw body and `Stripe-Signature` header Stripe would send for `event`. */
export function sign(
  event: unknown,
  options: { secret?: string; timestamp?: number; payload?: string } = {},
): { body: string; signature: string } {
  const body = options.payload ?? JSON.stringify(event, null, 2);
  const signature = testStripe().webhooks.generateTestHeaderString({
    payload: body,
    secret: options.secret ?? PLATFORM_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return { body, signature };
}

/** The vendor `driver_42`, on the connected account `ACCOUNT_ID`. */
export function vendorRecord(overrides: Partial<VendorRecord> = {}): VendorRecord {
  return baseVendor({ accountId: ACCOUNT_ID, ...overrides });
}

/** The pending order `order_1001` of `driver_42`, paid with the PaymentIntent `pi_order_1001`. */
export function orderRecord(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return baseOrder({ orderId: 'order_1001', accountId: ACCOUNT_ID, paymentIntentId: 'pi_order_1001', ...overrides });
}

/** Stores the vendor `driver_42` and its order `order_1001` (PaymentIntent `pi_order_1001`). */
export async function seed(storage: MarketplaceStorage, order: Partial<OrderRecord> = {}, vendor: Partial<VendorRecord> = {}) {
  await seedVendor(storage, vendorRecord(vendor));
  await seedOrder(storage, orderRecord(order));
}

export function paymentIntent(overrides: Record<string, unknown> = {}) {
  return {
    id: 'pi_order_1001',
    object: 'payment_intent',
    amount: 2000,
    currency: 'gbp',
    status: 'succeeded',
    latest_charge: 'ch_order_1001',
    last_payment_error: null,
    metadata: { order_id: 'order_1001', vendor_id: 'driver_42' },
    ...overrides,
  };
}

/** A promise and the function that resolves it. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
