import { randomBytes } from 'node:crypto';
import { createSandbox } from '../testing/sandbox/create.js';
import type { WebhookHandler } from '../testing/sandbox/webhooks.js';
import { type Io, parse, parseInteger, timestamp, UsageError, untilSignal } from './args.js';
import { apiBaseConfig } from './connect.js';

export const DEFAULT_SANDBOX_PORT = 12111;
const SANDBOX_KEY = 'sk_test_sandbox';

export const SANDBOX_HELP = `Usage: stripe-marketplace sandbox [options]

Starts the offline Stripe sandbox (stripe-marketplace/testing) as an HTTP server: point stripe-node at it
with new Stripe(key, { host, port, protocol: 'http' }). Runs until SIGINT or SIGTERM.

Options:
  --host <host>                  Interface to listen on (default 127.0.0.1)
  --port <port>                  Port (default ${DEFAULT_SANDBOX_PORT}; 0 for any free port)
  --forward-to <url>             Deliver platform events to this webhook URL, printing each delivery
  --forward-connect-to <url>     Deliver connected accounts' events here (default: the --forward-to URL)
  --webhook-secret <whsec_...>   Platform endpoint signing secret (default: a random one)
  --connect-webhook-secret <whsec_...>
                                 Connect endpoint signing secret (default: a random one)
  -h, --help                     Show this help`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'forward-to': { type: 'string' },
  'forward-connect-to': { type: 'string' },
  'webhook-secret': { type: 'string' },
  'connect-webhook-secret': { type: 'string' },
} as const;

function checkUrl(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(`${flag}: expected an http(s) URL, got "${value}"`, SANDBOX_HELP);
  }
  return value;
}

function checkSecret(flag: string, value: string | undefined): string {
  if (value === undefined) return `whsec_${randomBytes(24).toString('hex')}`;
  if (!/^whsec_\S+$/.test(value)) throw new UsageError(`${flag}: a signing secret starts with whsec_`, SANDBOX_HELP);
  return value;
}

/**
 * Forwards one delivery to `url` as Stripe would (POST, the raw body, `Stripe-Signature`) and prints it the
 * way `stripe listen` does. A network error throws, so the sandbox retries on its schedule.
 */
function forwarder(url: string, connect: boolean, io: Io): WebhookHandler {
  return async (body, signature) => {
    let id = '?';
    let type = '?';
    try {
      const event = JSON.parse(body) as { id?: string; type?: string };
      id = event.id ?? id;
      type = event.type ?? type;
    } catch {}
    io.out.write(`${timestamp(new Date())}   --> ${connect ? 'connect ' : ''}${type} [${id}]\n`);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': signature,
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
      });
      await response.arrayBuffer().catch(() => undefined);
      io.out.write(`${timestamp(new Date())}  <--  [${response.status}] POST ${url} [${id}]\n`);
      return { status: response.status };
    } catch (error) {
      const message = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      io.out.write(`${timestamp(new Date())}  <--  [ERR] POST ${url} [${id}]: ${message}\n`);
      throw error;
    }
  };
}

export async function sandboxCommand(args: readonly string[], io: Io): Promise<number> {
  const { values } = parse(args, OPTIONS, SANDBOX_HELP);
  if (values.help) {
    io.out.write(`${SANDBOX_HELP}\n`);
    return 0;
  }
  const host = values.host ?? '127.0.0.1';
  const port = values.port === undefined ? DEFAULT_SANDBOX_PORT : parseInteger(values.port, '--port', 0, 65535, SANDBOX_HELP);
  const forwardTo = checkUrl('--forward-to', values['forward-to']);
  const forwardConnectTo = checkUrl('--forward-connect-to', values['forward-connect-to']) ?? forwardTo;
  const platformSecret = checkSecret('--webhook-secret', values['webhook-secret']);
  const connectSecret = checkSecret('--connect-webhook-secret', values['connect-webhook-secret']);

  const sandbox = createSandbox();
  if (forwardTo) sandbox.addWebhookEndpoint({ handler: forwarder(forwardTo, false, io), secret: platformSecret });
  if (forwardConnectTo) {
    sandbox.addWebhookEndpoint({ handler: forwarder(forwardConnectTo, true, io), secret: connectSecret, connect: true });
  }
  const stop = untilSignal();
  try {
    const server = await sandbox.listen({ host, port });
    const client = apiBaseConfig(server.url, SANDBOX_HELP);
    const lines = [
      `Stripe sandbox ready at ${server.url}`,
      `  Dashboard:        ${server.url}/`,
      `  API key:          ${SANDBOX_KEY} (any sk_test_ key works)`,
      `  Host and port:    ${server.host} ${server.port}`,
      `  stripe-node:      new Stripe(key, { host: '${client.host}', port: ${client.port}, protocol: 'http' })`,
      `  Environment:      STRIPE_SECRET_KEY=${SANDBOX_KEY} STRIPE_API_BASE=${server.url}`,
    ];
    if (forwardTo) lines.push(`  Platform webhook secret: ${platformSecret} (events forwarded to ${forwardTo})`);
    if (forwardConnectTo) lines.push(`  Connect webhook secret:  ${connectSecret} (events forwarded to ${forwardConnectTo})`);
    if (!forwardTo && !forwardConnectTo) {
      lines.push('  Webhooks:         not forwarded; pass --forward-to <url> to receive events');
    }
    io.out.write(`${lines.join('\n')}\nReady. Press Ctrl+C to stop.\n`);
    const signal = await stop.signal;
    io.err.write(`${signal}: stopping the sandbox\n`);
    return 0;
  } finally {
    stop.dispose();
    await sandbox.close();
  }
}
