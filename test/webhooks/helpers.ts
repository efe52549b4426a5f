import Stripe from 'stripe';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import type { MarketplaceOptions, MarketplaceStorage, OrderRecord, VendorRecord } from '../../src/index.js';

export const PLATFORM_SECRET = 'whsec_platform_test_secret';
export const CONNECT_SECRET = 'whsec_connect_test_secret';
export const ACCOUNT_ID = 'acct_1VendorTest';

export function testStripe(): Stripe {
  return new Stripe('sk_test_123', { maxNetworkRetries: 0 });
}

export function makeMarket(overrides: Partial<MarketplaceOptions> = {}) {
  const stripe = testStripe();
  const storage: MarketplaceStorage = overrides.storage ?? memoryStorage();
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

export function vendorRecord(overrides: Partial<VendorRecord> = {}): VendorRecord {
  return {
    vendorId: 'driver_42',
    accountId: ACCOUNT_ID,
    connection: 'account_link',
    status: 'active',
    chargesEnabled: true,
    payoutsEnabled: true,
    detailsSubmitted: true,
    transfersCapability: 'active',
    requirements: {
      currentlyDue: [],
      pastDue: [],
      eventuallyDue: [],
      pendingVerification: [],
      disabledReason: null,
      currentDeadline: null,
    },
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

export function orderRecord(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return {
    orderId: 'order_1001',
    vendorId: 'driver_42',
    accountId: ACCOUNT_ID,
    mode: 'embedded',
    amount: 2000,
    currency: 'gbp',
    applicationFeeAmount: 240,
    vendorAmount: 1760,
    status: 'pending',
    paymentIntentId: 'pi_order_1001',
    checkoutSessionId: null,
    chargeId: null,
    amountRefunded: 0,
    dispute: null,
    lastPaymentError: null,
    description: null,
    metadata: {},
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

/** Stores the vendor `driver_42` and its order `order_1001` (PaymentIntent `pi_order_1001`). */
export async function seed(storage: MarketplaceStorage, order: Partial<OrderRecord> = {}, vendor: Partial<VendorRecord> = {}) {
  await storage.insertVendor(vendorRecord(vendor));
  await storage.insertOrder(orderRecord(order));
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
