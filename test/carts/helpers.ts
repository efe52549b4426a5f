import type Stripe from 'stripe';
import type { MarketplaceOptions } from '../../src/index.js';
import type { WebhookDeliveryOptions } from '../../src/testing/index.js';
import { completeHostedOnboarding, type World, world } from '../world.js';

export const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

/** A sandbox-wired marketplace with `vendors` onboarded (their accounts can receive transfers). */
export async function cartWorld(
  vendors: readonly string[] = ['ann', 'bob', 'cat'],
  options: Partial<MarketplaceOptions> = {},
  webhooks: WebhookDeliveryOptions = {},
) {
  const w = world(options, webhooks);
  const accounts: Record<string, string> = {};
  for (const vendorId of vendors) accounts[vendorId] = await onboard(w, vendorId);
  await w.sandbox.flushWebhooks();
  return { ...w, accounts };
}

/** Onboards `vendorId` through the hosted form; its `account.updated` waits for the next flush. */
export async function onboard(w: World, vendorId: string): Promise<string> {
  const { url, accountId } = await w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
  await completeHostedOnboarding(w, url);
  return accountId;
}

/** Creates the vendor's connected account without finishing onboarding: it cannot receive transfers yet. */
export async function startOnboarding(w: World, vendorId: string): Promise<{ accountId: string; url: string }> {
  return w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
}

/** The three-vendor cart most tests pay. */
export const ITEMS = [
  { vendorId: 'ann', amount: 1500, description: 'Teapot' },
  { vendorId: 'bob', amount: 999, description: 'Mug' },
  { vendorId: 'cat', amount: 1001, description: 'Spoon' },
];

/** Creates an embedded cart and pays it with `paymentMethod` (a test card); returns the cart and the paid PaymentIntent. */
export async function payCart(
  w: World,
  orderId: string,
  items: { vendorId: string; amount: number; description?: string }[] = ITEMS,
  paymentMethod = 'pm_card_visa',
) {
  const cart = await w.market.createCheckout({ orderId, currency: 'gbp', items });
  if (cart.mode !== 'embedded') throw new Error('expected an embedded cart');
  const intent = await w.stripe.paymentIntents.confirm(cart.paymentIntentId, {
    payment_method: paymentMethod,
    return_url: 'https://market.example/paid',
  });
  return Object.assign(cart, { intent });
}

/** The transfers Stripe holds for a transfer group. */
export async function stripeTransfers(w: World, group: string): Promise<Stripe.Transfer[]> {
  return (await w.stripe.transfers.list({ transfer_group: group, limit: 100 })).data;
}
