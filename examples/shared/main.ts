/**
 * Starts one example server: `npm run example:express` or `npm run example:fastify`.
 * Without STRIPE_SECRET_KEY it runs offline against the sandbox; see .env.example for real test mode.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createExample, loadDotEnv } from './setup.js';
import type { RouteDeps } from './routes.js';

export interface Listener {
  listen(port: number): Promise<Server>;
  close(): Promise<void>;
}

export async function main(name: string, build: (deps: RouteDeps) => Listener): Promise<void> {
  loadDotEnv();
  const port = Number(process.env.PORT ?? 3000);
  const example = await createExample({ dataDir: process.env.DATA_DIR ?? `.data/${name}` });
  let baseUrl = '';
  const app = build({
    market: example.market,
    baseUrl: () => baseUrl,
    checkoutMode: example.checkoutMode,
    ...(example.publishableKey ? { publishableKey: example.publishableKey } : {}),
    stripeLabel: example.stripeLabel,
    ...(process.env.SESSION_SECRET ? { sessionSecret: process.env.SESSION_SECRET } : {}),
  });
  const server = await app.listen(port);
  baseUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  example.serverStarted(baseUrl);
  process.stdout.write(`${name} example marketplace on ${baseUrl} (Stripe: ${example.stripeLabel})\n`);
  const stop = async () => {
    await app.close();
    await example.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
