import Stripe from 'stripe';
import { Sandbox, SANDBOX_API_VERSION, type SandboxOptions } from './sandbox.js';
import { SandboxHttpClient } from './http-client.js';
import type { SandboxServer } from './node-server.js';
import { decodeSnapshot, restoreSnapshot, SandboxPersister } from './persist.js';
import type { RawRequest, RawResponse } from './sandbox.js';
import type { WebhookEndpoint, WebhookEndpointOptions } from './webhooks.js';

export interface SandboxStripeOptions {
  /** Default `sk_test_sandbox`. Any test-mode secret key is accepted. */
  apiKey?: string;
  /** Act as a connected account (the `Stripe-Account` header on every request). */
  stripeAccount?: string;
}

/** `createSandbox({ file })`: a sandbox that keeps its state in a JSON file across restarts (Node only). */
export interface SandboxFileOptions extends SandboxOptions {
  /**
   * The JSON file the sandbox's whole state is saved to after each change and restored from on start: objects, the
   * ledger, events and delivery attempts, the ids counter, the clock's offset, and webhook endpoints with their
   * secrets. Written atomically (a temporary file, then a rename). Created when missing.
   */
  file: string;
  /** How long after the last change the file is written, in milliseconds. Default 20. `save()` writes at once. */
  saveDelayMs?: number;
}

/** The sandbox with its transports: an in-process `Stripe.HttpClient`, and `listen()` for other processes. */
export class StripeSandbox extends Sandbox {
  /** Pass as `new Stripe(key, { httpClient: sandbox.httpClient })` to talk to the sandbox in-process. */
  readonly httpClient: Stripe.HttpClient;
  private server: SandboxServer | undefined;
  private readonly fixedBaseUrl: boolean;
  private persister: SandboxPersister | undefined;

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

  /** @internal Used by `createSandbox({ file })`: restores `text` (when given) and saves after each change. */
  async persistTo(file: string, text: string | null, delayMs: number): Promise<void> {
    const { writeStateFile } = await import('./persist-node.js');
    if (text !== null) restoreSnapshot(this.core, decodeSnapshot(text, file));
    const persister = new SandboxPersister(this.core, (content) => writeStateFile(file, content), delayMs);
    this.persister = persister;
    this.core.onChange = () => persister.changed();
    this.core.webhooks.onAttempt = () => persister.changed();
    await persister.save();
  }

  /** Writes the state file now (with `createSandbox({ file })`; otherwise does nothing). */
  async save(): Promise<void> {
    await this.persister?.save();
  }

  override async handleApiRequest(raw: RawRequest): Promise<RawResponse> {
    const response = await super.handleApiRequest(raw);
    if (raw.method.toUpperCase() !== 'GET') this.persister?.changed();
    return response;
  }

  override async fetch(request: Request): Promise<Response> {
    const response = await super.fetch(request);
    // API requests are marked by handleApiRequest; a hosted page may change state even on GET (a login link is used).
    const path = new URL(request.url).pathname;
    if (path !== '/' && !path.startsWith('/v1/') && !path.startsWith('/oauth/')) this.persister?.changed();
    return response;
  }

  override addWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
    const endpoint = super.addWebhookEndpoint(options);
    this.persister?.changed();
    return endpoint;
  }

  /** Stops the server (when listening) and pending automatic webhook deliveries, and writes the state file. */
  override async close(): Promise<void> {
    super.close();
    await this.persister?.close();
    const server = this.server;
    this.server = undefined;
    if (server) await server.close();
  }
}

/**
 * With `file`: restores the sandbox saved in that JSON file (when it exists) and saves every change to it, so that an
 * offline app keeps its Stripe side across restarts. Node only; resolves once the state is loaded.
 */
export function createSandbox(options: SandboxFileOptions): Promise<StripeSandbox>;
/**
 * Creates an offline, stateful Stripe Connect sandbox. Use `sandbox.stripe()` (or
 * `new Stripe(key, { httpClient: sandbox.httpClient })`) wherever your code takes a Stripe client.
 */
export function createSandbox(options?: SandboxOptions): StripeSandbox;
export function createSandbox(
  options: SandboxOptions & { file?: string; saveDelayMs?: number } = {},
): StripeSandbox | Promise<StripeSandbox> {
  const { file, saveDelayMs, ...rest } = options;
  if (file === undefined) return new StripeSandbox(rest);
  return openSandbox(file, saveDelayMs ?? 20, rest);
}

async function openSandbox(file: string, delayMs: number, options: SandboxOptions): Promise<StripeSandbox> {
  if (!Number.isSafeInteger(delayMs) || delayMs < 0)
    throw new TypeError('createSandbox: saveDelayMs takes a non-negative integer');
  const { readStateFile } = await import('./persist-node.js');
  const sandbox = new StripeSandbox(options);
  await sandbox.persistTo(file, await readStateFile(file), delayMs);
  return sandbox;
}
