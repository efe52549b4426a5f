import Stripe from 'stripe';
import { Sandbox, SANDBOX_API_VERSION, type SandboxOptions } from './sandbox.js';
import { SandboxHttpClient } from './http-client.js';
import type { SandboxServer } from './node-server.js';

export interface SandboxStripeOptions {
  /** Default `sk_test_sandbox`. Any test-mode secret key is accepted. */
  apiKey?: string;
  /** Act as a connected account (the `Stripe-Account` header on every request). */
  stripeAccount?: string;
}

/** The sandbox with its transports: an in-process `Stripe.HttpClient`, and `listen()` for other processes. */
export class StripeSandbox extends Sandbox {
  /** Pass as `new Stripe(key, { httpClient: sandbox.httpClient })` to talk to the sandbox in-process. */
  readonly httpClient: Stripe.HttpClient;
  private server: SandboxServer | undefined;
  private readonly fixedBaseUrl: boolean;

  constructor(options: SandboxOptions = {}) {
    super(options);
    this.httpClient = new SandboxHttpClient(this);
    this.fixedBaseUrl = options.baseUrl !== undefined;
  }

  /** A real stripe-node client wired to this sandbox in-process (no retries, so failures surface at once). */
  stripe(options: SandboxStripeOptions = {}): Stripe {
    return new Stripe(options.apiKey ?? 'sk_test_sandbox', {
      apiVersion: SANDBOX_API_VERSION as Stripe.LatestApiVersion,
      httpClient: this.httpClient,
      maxNetworkRetries: 0,
      telemetry: false,
      ...(options.stripeAccount ? { stripeAccount: options.stripeAccount } : {}),
    });
  }

  /**
   * Serves the API and the hosted pages on a loopback port (default: a free one). A separate process can then use
   * `new Stripe(key, { host, port, protocol: 'http' })`. Hosted-page URLs created afterwards point at this server.
   */
  async listen(options: { port?: number; host?: string } = {}): Promise<SandboxServer> {
    if (this.server) return this.server;
    // package.json "imports": the `node` condition loads Node's HTTP server, any other runtime a stub that throws, so
    // that a runtime without node:http (workerd without Node compatibility) never loads it. tsconfig.json and
    // vitest.config.ts map the specifier to ./node-server.ts for the type check and the tests.
    const { listenOnNode }: typeof import('./node-server.js') = await import('#sandbox-node-server');
    this.server = await listenOnNode(this, options);
    if (!this.fixedBaseUrl) this.setBaseUrl(this.server.url);
    return this.server;
  }

  /** Stops the server (when listening) and pending automatic webhook deliveries. */
  override async close(): Promise<void> {
    super.close();
    const server = this.server;
    this.server = undefined;
    if (server) await server.close();
  }
}

/**
 * Creates an offline, stateful Stripe Connect sandbox. Use `sandbox.stripe()` (or
 * `new Stripe(key, { httpClient: sandbox.httpClient })`) wherever your code takes a Stripe client.
 */
export function createSandbox(options: SandboxOptions = {}): StripeSandbox {
  return new StripeSandbox(options);
}
