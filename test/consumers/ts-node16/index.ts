// TypeScript with moduleResolution node16, ESM side: resolves the `import` condition (.d.ts).
import Stripe from 'stripe';
import {
  type CheckoutResult,
  type CommissionPolicy,
  type EmbeddedCheckoutResult,
  Marketplace,
  type MarketplaceErrorCode,
  type VendorRecord,
  capped,
  isMarketplaceError,
  memoryStorage,
  percentage,
} from 'stripe-marketplace';
import { subpathCount } from './subpaths.generated.js';

const policy: CommissionPolicy = capped(percentage(12), { min: { gbp: 30 } });
const market = new Marketplace({ stripe: new Stripe('sk_test_x'), storage: memoryStorage(), commission: policy });

export async function embedded(): Promise<string> {
  const result = await market.createCheckout({ orderId: 'o1', vendorId: 'v1', amount: 2000, currency: 'gbp' });
  // The return type follows the mode: an embedded checkout has clientSecret without narrowing.
  const exact: EmbeddedCheckoutResult = result;
  return exact.clientSecret;
}

export async function hosted(): Promise<string | null> {
  const result = await market.createCheckout({
    mode: 'hosted',
    orderId: 'o2',
    vendorId: 'v1',
    currency: 'gbp',
    lineItems: [{ name: 'Ride', unitAmount: 2000, quantity: 1 }],
    successUrl: 'https://example.com/ok',
    cancelUrl: 'https://example.com/cancel',
  });
  // @ts-expect-error a hosted checkout has no clientSecret
  result.clientSecret;
  return result.url;
}

export async function vendor(): Promise<VendorRecord['status'] | undefined> {
  try {
    const record = await market.completeOnboarding({ vendorId: 'v1' });
    return record.status;
  } catch (error) {
    const code: MarketplaceErrorCode | undefined = isMarketplaceError(error) ? error.code : undefined;
    return code === 'VENDOR_NOT_FOUND' ? undefined : 'restricted';
  }
}

// @ts-expect-error amount is required for an embedded checkout
market.createCheckout({ orderId: 'o3', vendorId: 'v1', currency: 'gbp' });

export type Any = CheckoutResult;
export const subpaths: number = subpathCount;
