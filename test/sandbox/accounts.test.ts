import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { EXPRESS, setup, stripeError } from './helpers.js';

describe('accounts', () => {
  it('creates an account from controller properties, with requirements due and capabilities inactive', async () => {
    const { stripe } = setup();
    const account = await stripe.accounts.create({
      controller: EXPRESS,
      country: 'gb',
      email: 'a@example.com',
      capabilities: { transfers: { requested: true } },
      metadata: { vendor_id: 'driver_42' },
    });
    expect(account.id).toMatch(/^acct_/);
    expect(account.type).toBe('express');
    expect(account.country).toBe('GB');
    expect(account.default_currency).toBe('gbp');
    expect(account.controller).toMatchObject({
      is_controller: true,
      type: 'application',
      stripe_dashboard: { type: 'express' },
      fees: { payer: 'application' },
    });
    expect(account.metadata).toEqual({ vendor_id: 'driver_42' });
    expect(account.capabilities).toEqual({ transfers: 'inactive' });
    expect(account.details_submitted).toBe(false);
    expect(account.payouts_enabled).toBe(false);
    expect(account.requirements?.currently_due).toContain('external_account');
    expect(account.requirements?.disabled_reason).toBe('requirements.past_due');
    expect(await stripe.accounts.retrieve(account.id)).toEqual(account);
  });

  it('accepts the legacy type and refuses type together with controller', async () => {
    const { stripe } = setup();
    const standard = await stripe.accounts.create({ type: 'standard' });
    expect(standard.type).toBe('standard');
    expect(standard.capabilities).toEqual({ card_payments: 'inactive', transfers: 'inactive' });
    const custom = await stripe.accounts.create({ type: 'custom', capabilities: { transfers: { requested: true } } });
    expect(custom.controller?.requirement_collection).toBe('application');
    const error = await stripeError(stripe.accounts.create({ type: 'express', controller: EXPRESS }));
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('type');
  });

  it('completeOnboarding clears requirements, activates capabilities and emits Connect events', async () => {
    const { sandbox, stripe } = setup();
    const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    const done = sandbox.completeOnboarding(account.id);
    expect(done.capabilities).toEqual({ transfers: 'active' });
    expect(done).toMatchObject({ details_submitted: true, payouts_enabled: true, charges_enabled: false });
    expect(done.requirements).toMatchObject({ currently_due: [], past_due: [], disabled_reason: null });
    const events = await stripe.events.list({}, { stripeAccount: account.id });
    expect(events.data.map((e) => e.type)).toEqual(['account.updated', 'capability.updated']);
    const updated = events.data[0] as Stripe.AccountUpdatedEvent;
    expect(updated.account).toBe(account.id);
    expect(updated.data.previous_attributes).toMatchObject({ details_submitted: false });
    expect((await stripe.events.list()).data).toEqual([]);
  });

  it('updates metadata (empty value unsets a key) and emits account.updated', async () => {
    const { stripe } = setup();
    const account = await stripe.accounts.create({
      controller: EXPRESS,
      capabilities: { transfers: { requested: true } },
      metadata: { a: '1', b: '2' },
    });
    const updated = await stripe.accounts.update(account.id, { metadata: { a: '', c: '3' } });
    expect(updated.metadata).toEqual({ b: '2', c: '3' });
    const [event] = (await stripe.events.list({ type: 'account.updated' }, { stripeAccount: account.id })).data;
    expect(event?.data.previous_attributes).toEqual({ metadata: { a: '1', b: '2' } });
  });

  it('answers 404 resource_missing for an unknown account', async () => {
    const { stripe } = setup();
    const error = await stripeError(stripe.accounts.retrieve('acct_nope'));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('resource_missing');
  });
});

describe('account links', () => {
  async function link(options: Parameters<typeof setup>[0] = {}) {
    const { sandbox, stripe } = setup(options);
    const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    const created = await stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      return_url: 'https://market.example/return',
      refresh_url: 'https://market.example/refresh',
    });
    return { sandbox, stripe, account, created };
  }
  const post = (url: string, action: string) =>
    new Request(url, {
      method: 'POST',
      body: `action=${action}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it('serves an onboarding page; completing it redirects to return_url and onboards the account', async () => {
    const { sandbox, stripe, account, created } = await link();
    expect(created.expires_at - created.created).toBe(300);
    const page = await sandbox.fetch(new Request(created.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Complete onboarding');
    const done = await sandbox.fetch(post(created.url, 'complete'));
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('https://market.example/return');
    expect((await stripe.accounts.retrieve(account.id)).capabilities?.transfers).toBe('active');
  });

  it('leaving redirects to return_url too, and the account stays unfinished', async () => {
    const { sandbox, stripe, account, created } = await link();
    await sandbox.fetch(new Request(created.url));
    const left = await sandbox.fetch(post(created.url, 'leave'));
    expect(left.headers.get('location')).toBe('https://market.example/return');
    expect((await stripe.accounts.retrieve(account.id)).details_submitted).toBe(false);
  });

  it('is single-use: a second visit redirects to refresh_url', async () => {
    const { sandbox, created } = await link();
    await sandbox.fetch(new Request(created.url));
    const again = await sandbox.fetch(new Request(created.url));
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('https://market.example/refresh');
  });

  it('expires after 300 seconds: a late visit redirects to refresh_url', async () => {
    const { sandbox, created } = await link();
    sandbox.advanceTime(300_000);
    const late = await sandbox.fetch(new Request(created.url));
    expect(late.headers.get('location')).toBe('https://market.example/refresh');
  });

  it('refuses account_update links for accounts with a Stripe dashboard', async () => {
    const { stripe, account } = await link();
    const error = await stripeError(
      stripe.accountLinks.create({
        account: account.id,
        type: 'account_update',
        return_url: 'https://a.example/r',
        refresh_url: 'https://a.example/f',
      }),
    );
    expect(error.statusCode).toBe(400);
    expect(error.param).toBe('type');
  });
});

describe('login links and OAuth', () => {
  it('login links work once, and only for onboarded Express accounts', async () => {
    const { sandbox, stripe } = setup();
    const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    expect((await stripeError(stripe.accounts.createLoginLink(account.id))).statusCode).toBe(400);
    sandbox.completeOnboarding(account.id);
    const login = await stripe.accounts.createLoginLink(account.id);
    expect(login.object).toBe('login_link');
    expect((await sandbox.fetch(new Request(login.url))).status).toBe(200);
    expect((await sandbox.fetch(new Request(login.url))).status).toBe(404);
    const standard = await stripe.accounts.create({ type: 'standard' });
    sandbox.completeOnboarding(standard.id);
    expect((await stripeError(stripe.accounts.createLoginLink(standard.id))).statusCode).toBe(400);
  });

  it('exchanges a minted authorization code once (the request goes to connect.stripe.com)', async () => {
    const { sandbox, stripe } = setup();
    const { code, accountId } = sandbox.createOAuthCode();
    const token = await stripe.oauth.token({ grant_type: 'authorization_code', code });
    expect(token.stripe_user_id).toBe(accountId);
    expect(token.access_token).toMatch(/^sk_test_/);
    expect((await stripe.accounts.retrieve(accountId)).type).toBe('standard');
    const reused = await stripeError(stripe.oauth.token({ grant_type: 'authorization_code', code }));
    expect(reused).toBeInstanceOf(Stripe.errors.StripeInvalidGrantError);
    expect(reused.message).toContain('Authorization code does not exist');
  });

  it('mints a code for an existing account', async () => {
    const { sandbox, stripe } = setup();
    const account = await stripe.accounts.create({ type: 'standard' });
    const { code } = sandbox.createOAuthCode(account.id);
    expect((await stripe.oauth.token({ grant_type: 'authorization_code', code })).stripe_user_id).toBe(account.id);
  });
});
