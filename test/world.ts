import { Marketplace, type MarketplaceOptions, memoryStorage, percentage } from '../src/index.js';
import { createSandbox, type SandboxOptions, type WebhookDeliveryOptions } from '../src/testing/index.js';

/** What a test may change about the wiring: the sandbox's own options, and what a delivery does. */
export interface WorldWiring {
  /** Options for `createSandbox` (its `webhooks` come from the second argument of `world`). */
  sandbox?: Omit<SandboxOptions, 'webhooks'>;
  /** Replaces the delivery to `market.handleWebhook` (for example to capture events and deliver them later). */
  deliver?: (market: Marketplace, body: string, signature: string) => Promise<{ status: number }>;
}

/**
 * A marketplace wired to a sandbox: its Stripe client, and both webhook endpoints (platform and Connect)
 * delivering to `handleWebhook`. Nothing is delivered until `sandbox.flushWebhooks()` unless `webhooks` says so.
 */
export function world(
  options: Partial<MarketplaceOptions> = {},
  webhooks: WebhookDeliveryOptions = {},
  wiring: WorldWiring = {},
) {
  const sandbox = createSandbox({ ...wiring.sandbox, webhooks: { autoDeliver: false, ...webhooks } });
  const stripe = sandbox.stripe();
  const deliver = (body: string, signature: string) =>
    wiring.deliver ? wiring.deliver(market, body, signature) : market.handleWebhook({ body, signature });
  const platform = sandbox.addWebhookEndpoint({ handler: deliver });
  const connect = sandbox.addWebhookEndpoint({ handler: deliver, connect: true });
  const market: Marketplace = new Marketplace({
    stripe,
    storage: memoryStorage(),
    commission: percentage(12),
    webhookSecrets: { platform: platform.secret, connect: connect.secret },
    livemode: false,
    ...options,
  });
  return { sandbox, stripe, market, secrets: { platform: platform.secret, connect: connect.secret } };
}

export type World = ReturnType<typeof world>;

/** Opens the sandbox's hosted onboarding page at `url` and submits it, as a vendor would. */
export async function completeHostedOnboarding(w: World, url: string): Promise<void> {
  await w.sandbox.fetch(new Request(url));
  await w.sandbox.fetch(
    new Request(url, {
      method: 'POST',
      body: 'action=complete',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  );
}

type Create = (...args: never[]) => Promise<unknown>;

/** Makes the next call of `resource[method]` reach Stripe and then lose its answer, as a crash or a dropped connection would. */
export function loseNextAnswer(resource: object, method: string): void {
  const target = resource as Record<string, Create>;
  const original = target[method] as Create;
  target[method] = (async (...args: never[]) => {
    target[method] = original;
    await original.apply(resource, args);
    throw new Error('socket hang up (the answer was lost)');
  }) as Create;
}
