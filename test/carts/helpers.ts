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
