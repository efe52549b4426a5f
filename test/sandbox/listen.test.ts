import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, type StripeSandbox } from '../../src/testing/index.js';
import { EXPRESS } from './helpers.js';

let sandbox: StripeSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('listen()', () => {
  it('serves the API on a loopback port for an unchanged stripe-node client (host, port, protocol)', async () => {
    sandbox = createSandbox({ webhooks: { autoDeliver: false } });
    const server = await sandbox.listen();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const remote = new Stripe('sk_test_remote', { host: server.host, port: server.port, protocol: 'http', maxNetworkRetries: 0 });
    const account = await remote.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    expect((await sandbox.stripe().accounts.retrieve(account.id)).id).toBe(account.id);
    const { code } = sandbox.createOAuthCode(account.id);
    expect((await remote.oauth.token({ grant_type: 'authorization_code', code })).stripe_user_id).toBe(account.id);
    await expect(remote.paymentIntents.create({ amount: 1, currency: 'gbp' })).rejects.toMatchObject({
      code: 'amount_too_small',
      statusCode: 400,
    });
  });

  it('hosted pages work over HTTP: onboarding then Checkout, following the redirects a browser would', async () => {
    sandbox = createSandbox({ webhooks: { autoDeliver: false } });
    const server = await sandbox.listen();
    const stripe = sandbox.stripe();
    const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    const link = await stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      return_url: 'https://market.example/return',
      refresh_url: 'https://market.example/refresh',
    });
    expect(link.url.startsWith(server.url)).toBe(true);
    const page = await fetch(link.url);
    expect(await page.text()).toContain('<form method="post"');
    const submitted = await fetch(link.url, {
      method: 'POST',
      body: new URLSearchParams({ action: 'complete' }),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    expect(submitted.headers.get('location')).toBe('https://market.example/return');
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'gbp', unit_amount: 2000, product_data: { name: 'Ride' } }, quantity: 1 }],
      success_url: 'https://market.example/ok',
      payment_intent_data: { application_fee_amount: 240, transfer_data: { destination: account.id } },
    });
    const paid = await fetch(session.url as string, {
      method: 'POST',
      body: new URLSearchParams({ card_number: '4242424242424242' }),
      redirect: 'manual',
    });
    expect(paid.headers.get('location')).toBe('https://market.example/ok');
    expect(sandbox.balances()).toEqual([
      { account: 'platform', currency: 'gbp', available: 240 },
      { account: account.id, currency: 'gbp', available: 1760 },
    ]);
  });

  it('close() stops the server', async () => {
    sandbox = createSandbox();
    const server = await sandbox.listen();
    await sandbox.close();
    await expect(fetch(`${server.url}/v1/balance`)).rejects.toThrow();
  });
});
