/**
 * `npx tsx bench/sandbox.ts`: the cost of one destination-charge flow (create, confirm, partial refund with reversal)
 * against the sandbox in-process (HttpClient) and over HTTP (`listen()`), as a ratio measured in the same run.
 */
import Stripe from 'stripe';
import { createSandbox } from '../src/testing/index.js';

const FLOWS = Number(process.env.FLOWS ?? 300);

async function flows(stripe: Stripe, destination: string, count: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      application_fee_amount: 240,
      transfer_data: { destination },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 500, reverse_transfer: true, refund_application_fee: true });
  }
  return (performance.now() - start) / count;
}

const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
const inProcess = sandbox.stripe();
const account = await inProcess.accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
sandbox.completeOnboarding(account.id);
const server = await sandbox.listen();
const overHttp = new Stripe('sk_test_bench', { host: server.host, port: server.port, protocol: 'http', maxNetworkRetries: 0 });

await flows(inProcess, account.id, 20); // warm-up
await flows(overHttp, account.id, 20);
const local = await flows(inProcess, account.id, FLOWS);
const http = await flows(overHttp, account.id, FLOWS);
process.stdout.write(`in-process: ${local.toFixed(2)} ms per flow (baseline)\n`);
process.stdout.write(`over HTTP:  ${http.toFixed(2)} ms per flow (${(http / local).toFixed(2)}x)\n`);
await sandbox.close();
