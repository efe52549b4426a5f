import { describe, expect, it } from 'vitest';
import { readyAccount, setup, stripeError } from './helpers.js';

describe('payment method domains', () => {
  // https://docs.stripe.com/api/payment_method_domains/create and https://docs.stripe.com/payments/payment-methods/pmd-registration:
  // a domain is registered on the platform, or on a connected account with the Stripe-Account header.
  it('registers a domain on the platform and on a connected account, each seeing only its own', async () => {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const platform = await stripe.paymentMethodDomains.create({ domain_name: 'shop.example.com' });
    expect(platform).toMatchObject({
      object: 'payment_method_domain',
      domain_name: 'shop.example.com',
      enabled: true,
      apple_pay: { status: 'active' },
      google_pay: { status: 'active' },
    });
    expect(platform.id).toMatch(/^pmd_/);
    const own = await stripe.paymentMethodDomains.create({ domain_name: 'vendor.example.com' }, { stripeAccount: vendor });
    expect((await stripe.paymentMethodDomains.list()).data.map((d) => d.id)).toEqual([platform.id]);
    expect((await stripe.paymentMethodDomains.list({}, { stripeAccount: vendor })).data.map((d) => d.id)).toEqual([own.id]);
    const crossed = await stripeError(stripe.paymentMethodDomains.retrieve(own.id));
    expect(crossed).toMatchObject({ code: 'resource_missing', statusCode: 404 });

    const disabled = await stripe.paymentMethodDomains.update(platform.id, { enabled: false });
    expect(disabled.enabled).toBe(false);
    expect((await stripe.paymentMethodDomains.list({ enabled: false })).data).toHaveLength(1);
    expect((await stripe.paymentMethodDomains.validate(own.id, {}, { stripeAccount: vendor })).apple_pay.status).toBe('active');
  });

  it('refuses a URL where a domain name is expected', async () => {
    const { stripe } = setup();
    const error = await stripeError(stripe.paymentMethodDomains.create({ domain_name: 'https://shop.example.com/pay' }));
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', param: 'domain_name', statusCode: 400 });
  });
});

describe('account sessions', () => {
  // https://docs.stripe.com/api/account_sessions/create: components by name, each with `enabled`.
  it('returns a client secret and an expiry for a connected account', async () => {
    const now = Date.UTC(2026, 5, 1);
    const { sandbox, stripe } = setup({ now: () => now });
    const vendor = await readyAccount(sandbox, stripe);
    const session = await stripe.accountSessions.create({
      account: vendor,
      components: { account_onboarding: { enabled: true }, payouts: { enabled: true, features: { instant_payouts: false } } },
    });
    expect(session).toMatchObject({ object: 'account_session', account: vendor, livemode: false });
    expect(session.client_secret).toMatch(/^accs_secret__/);
    expect(session.expires_at).toBeGreaterThan(now / 1000);
    expect(session.components.account_onboarding.enabled).toBe(true);
    expect(session.components.payments.enabled).toBe(false);
  });

  it('refuses an unknown component, a missing account and a missing components hash', async () => {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const unknown = await stripeError(
      stripe.accountSessions.create({ account: vendor, components: { onboarding: { enabled: true } } as never }),
    );
    expect(unknown).toMatchObject({ code: 'parameter_unknown', param: 'components[onboarding]', statusCode: 400 });
    const missing = await stripeError(
      stripe.accountSessions.create({ account: 'acct_missing', components: { payments: { enabled: true } } }),
    );
    expect(missing).toMatchObject({ code: 'resource_missing', param: 'account' });
    const noComponents = await stripeError(stripe.accountSessions.create({ account: vendor } as never));
    expect(noComponents).toMatchObject({ code: 'parameter_missing', param: 'components' });
  });
});

describe('account session features', () => {
  // https://docs.stripe.com/api/account_sessions/create: each component has its own features;
  // disable_stripe_user_authentication "can only be true for accounts where controller.requirement_collection is
  // application" and defaults to the opposite of external_account_collection;
  // https://docs.stripe.com/changelog/dahlia/2026-03-25/relaxed_external_account_collection_account_session: with
  // Stripe collecting requirements, external_account_collection may be false while Stripe user authentication stays on.
  it('refuses a feature the component does not have', async () => {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const error = await stripeError(
      stripe.accountSessions.create({
        account: vendor,
        components: { payouts: { enabled: true, features: { refund_management: true } as never } },
      }),
    );
    expect(error).toMatchObject({ code: 'parameter_unknown', param: 'components[payouts][features][refund_management]' });
    const ok = await stripe.accountSessions.create({
      account: vendor,
      components: { payments: { enabled: true, features: { refund_management: true, smart_disputes_management: true } } },
    });
    expect(ok.components.payments.features).toMatchObject({ refund_management: true });
  });

  it('allows turning Stripe user authentication off only where the platform collects requirements', async () => {
    const { sandbox, stripe } = setup();
    const express = await readyAccount(sandbox, stripe);
    const off = { account_onboarding: { enabled: true, features: { disable_stripe_user_authentication: true } } };
    const refused = await stripeError(stripe.accountSessions.create({ account: express, components: off }));
    expect(refused).toMatchObject({
      statusCode: 400,
      param: 'components[account_onboarding][features][disable_stripe_user_authentication]',
    });
    // external_account_collection: false alone turns authentication off by default: refused too ...
    const noExternal = { account_onboarding: { enabled: true, features: { external_account_collection: false } } };
    expect(await stripeError(stripe.accountSessions.create({ account: express, components: noExternal }))).toMatchObject({
      statusCode: 400,
    });
    // ... but allowed with authentication explicitly kept on.
    const kept = await stripe.accountSessions.create({
      account: express,
      components: {
        account_onboarding: {
          enabled: true,
          features: { external_account_collection: false, disable_stripe_user_authentication: false },
        },
      },
    });
    expect(kept.client_secret).toMatch(/^accs_secret__/);

    const custom = await stripe.accounts.create({
      type: 'custom',
      country: 'GB',
      capabilities: { transfers: { requested: true } },
    });
    expect(custom.controller?.requirement_collection).toBe('application');
    const allowed = await stripe.accountSessions.create({ account: custom.id, components: off });
    expect(allowed.components.account_onboarding.features).toMatchObject({ disable_stripe_user_authentication: true });
  });
});

describe('billing portal sessions', () => {
  // https://docs.stripe.com/api/customer_portal/sessions/create
  it('returns a URL the sandbox serves, where the customer cancels at period end', async () => {
    const { sandbox, stripe } = setup();
    const vendor = await readyAccount(sandbox, stripe);
    const customer = await stripe.customers.create({ invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const product = await stripe.products.create({ name: 'Pass' });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price_data: { currency: 'gbp', product: product.id, unit_amount: 900, recurring: { interval: 'month' } } }],
      transfer_data: { destination: vendor },
    });
    const session = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'https://shop.example/account',
    });
    expect(session).toMatchObject({
      object: 'billing_portal.session',
      customer: customer.id,
      return_url: 'https://shop.example/account',
    });
    const page = await sandbox.fetch(new Request(session.url));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(sub.id);
    expect(html).toContain('https://shop.example/account');
    const form = new URLSearchParams({ action: 'cancel', subscription: sub.id });
    const posted = await sandbox.fetch(new Request(session.url, { method: 'POST', body: form }));
    expect(posted.status).toBe(200);
    expect((await stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    const last = sandbox.events().at(-1);
    expect(last?.type).toBe('customer.subscription.updated');

    const unknown = await sandbox.fetch(new Request(session.url.replace(/_\w+$/, '_nope')));
    expect(unknown.status).toBe(404);
    const noCustomer = await stripeError(stripe.billingPortal.sessions.create({ customer: 'cus_missing' }));
    expect(noCustomer).toMatchObject({ code: 'resource_missing', param: 'customer' });
  });
});
