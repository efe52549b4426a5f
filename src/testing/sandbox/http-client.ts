import Stripe from 'stripe';
import type { RawResponse, Sandbox } from './sandbox.js';

/** The sandbox's answer, as stripe-node reads responses. */
export class SandboxHttpResponse extends Stripe.HttpClientResponse {
  constructor(private readonly raw: RawResponse) {
    super(raw.status, raw.headers);
  }

  override getRawResponse(): RawResponse {
    return this.raw;
  }

  override toStream(streamCompleteCallback: () => void): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(this.raw.body);
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
        streamCompleteCallback();
      },
    });
  }

  override toJSON(): Promise<unknown> {
    return Promise.resolve().then(() => this._parseResponseBody(this.raw.body));
  }
}

/**
 * A `Stripe.HttpClient` that answers in-process from the sandbox: no sockets, no network.
 * Requests to `connect.stripe.com` (OAuth) are answered too.
 */
export class SandboxHttpClient extends Stripe.HttpClient {
  constructor(private readonly sandbox: Sandbox) {
    super();
  }

  override getClientName(): string {
    return 'stripe-marketplace-sandbox';
  }

  override async makeRequest(
    host: string,
    _port: string,
    path: string,
    method: string,
    headers: Record<string, string | number | string[]>,
    requestData: string,
    _protocol: string,
    _timeout: number,
  ): Promise<SandboxHttpResponse> {
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && value !== null) flat[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const raw = await this.sandbox.handleApiRequest({ method, host, path, headers: flat, body: requestData ?? '' });
    return new SandboxHttpResponse(raw);
  }
}
