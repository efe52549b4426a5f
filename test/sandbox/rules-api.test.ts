/**
 * PaymentIntents, accounts and `expand` as Stripe documents them. Each test names the Stripe page it checks.
 */
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { EXPRESS, paidIntent, readyAccount, setup, stripeError } from './helpers.js';

const OLDER = '2025-03-31.basil';

describe('payment_method_types', () => {
  it('before 2026-09-30 it turns automatic payment methods off: no return_url, and a decline is a 402 card error (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-payment_method_types)', async () => {
    const { stripe } = setup();
    const intent = await stripe.paymentIntents.create(
      { amount: 2000, currency: 'gbp', payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams,
      { apiVersion: OLDER },
    );
    expect(intent.automatic_payment_methods).toBeNull();
    expect(intent.payment_method_types).toEqual(['card']);
    const paid = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' }, { apiVersion: OLDER });
    expect(paid.status).toBe('succeeded');
    const other = await stripe.paymentIntents.create(
      { amount: 2000, currency: 'gbp', payment_method_types: ['card'] } as Stripe.PaymentIntentCreateParams,
      { apiVersion: OLDER },
    );
    const declined = await stripeError(
      stripe.paymentIntents.confirm(other.id, { payment_method: 'pm_card_chargeDeclined' }, { apiVersion: OLDER }),
    );
    expect(declined).toMatchObject({ statusCode: 402, type: 'StripeCardError', code: 'card_declined' });
  });

  it('on the current version it is refused with payment_method_types_no_longer_supported (https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents)', async () => {
    const { stripe } = setup();
    const error = await stripeError(
      stripe.rawRequest('POST', '/v1/payment_intents', { amount: 2000, currency: 'gbp', payment_method_types: ['card'] }),
    );
    expect(error).toMatchObject({
      statusCode: 400,
      type: 'StripeInvalidRequestError',
      code: 'payment_method_types_no_longer_supported',
      param: 'payment_method_types',
    });
  });
});

describe('off_session (https://docs.stripe.com/api/payment_intents/confirm#confirm_payment_intent-off_session)', () => {
  it('confirms with automatic payment methods and no return_url', async () => {
    const { stripe } = setup();
    const created = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      payment_method: 'pm_card_visa',
      confirm: true,
      off_session: true,
    });
    expect(created.status).toBe('succeeded');
    const intent = await stripe.paymentIntents.create({ amount: 2000, currency: 'gbp' });
    const onSession = await stripeError(stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' }));
    expect(onSession).toMatchObject({ statusCode: 400, param: 'return_url' });
    const offSession = await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa', off_session: true });
    expect(offSession.status).toBe('succeeded');
  });

  it('is refused on create without confirm=true (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-off_session)', async () => {
    const { stripe } = setup();
    const error = await stripeError(stripe.paymentIntents.create({ amount: 2000, currency: 'gbp', off_session: true }));
    expect(error).toMatchObject({ statusCode: 400, param: 'off_session' });
  });
});

describe('PaymentIntent update (https://docs.stripe.com/api/payment_intents/update)', () => {
  it('metadata and description can change on a succeeded PaymentIntent; the amount cannot', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    const updated = await stripe.paymentIntents.update(intent.id, { metadata: { order: '9' }, description: 'Order 9' });
    expect(updated).toMatchObject({ status: 'succeeded', metadata: { order: '9' }, description: 'Order 9' });
    const error = await stripeError(stripe.paymentIntents.update(intent.id, { amount: 3000 }));
    expect(error).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });
});

describe('accounts and capabilities', () => {
  it('deleting an account emits account.application.deauthorized for it (https://docs.stripe.com/api/events/types#event_types-account.application.deauthorized)', async () => {
    const { sandbox, stripe } = setup();
    const account = await stripe.accounts.create({ controller: EXPRESS, capabilities: { transfers: { requested: true } } });
    await stripe.accounts.del(account.id);
    const event = sandbox.events().find((e) => e.type === 'account.application.deauthorized');
    expect(event).toMatchObject({ account: account.id, data: { object: { object: 'application' } } });
  });

  it('a capability requested later goes through capability.updated and charges_enabled follows it (https://docs.stripe.com/connect/account-capabilities)', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    expect((await stripe.accounts.retrieve(driver)).charges_enabled).toBe(false);
    const before = sandbox.events().length;
    const updated = await stripe.accounts.update(driver, { capabilities: { card_payments: { requested: true } } });
    expect(updated.capabilities?.card_payments).toBe('active');
    expect(updated.charges_enabled).toBe(true);
    const events = sandbox.events().slice(before);
    const capability = events.find((e) => e.type === 'capability.updated');
    expect(capability).toMatchObject({ account: driver, data: { object: { id: 'card_payments', status: 'active' } } });
    const accountEvent = events.find((e) => e.type === 'account.updated');
    expect(accountEvent?.data.previous_attributes).toMatchObject({ charges_enabled: false });
    const unrequested = await stripe.accounts.update(driver, { capabilities: { card_payments: { requested: false } } });
    expect(unrequested.charges_enabled).toBe(false);
    expect(unrequested.capabilities?.card_payments).toBeUndefined();
  });

  it('GET /v1/account checks its parameters (https://docs.stripe.com/api/accounts/retrieve)', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const own = (await stripe.rawRequest('GET', '/v1/account', {}, { stripeAccount: driver })) as unknown as { id: string };
    expect(own.id).toBe(driver);
    const error = await stripeError(stripe.rawRequest('GET', '/v1/account?colour=red', {}, { stripeAccount: driver }));
    expect(error).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
  });
});

describe('expand (https://docs.stripe.com/expand)', () => {
  it('resolves only objects the requesting account can see', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, { expand: ['transfer', 'payment_intent'] });
    expect(charge.transfer).toMatchObject({ object: 'transfer' });
    expect(charge.payment_intent).toMatchObject({ object: 'payment_intent' });
    // The destination payment belongs to the connected account: the platform's request leaves its id unexpanded.
    const transfer = await stripe.transfers.retrieve(
      charge.transfer && typeof charge.transfer === 'object' ? charge.transfer.id : '',
      {
        expand: ['destination_payment'],
      },
    );
    expect(typeof transfer.destination_payment).toBe('string');
    const payment = await stripe.charges.retrieve(
      transfer.destination_payment as string,
      { expand: ['source_transfer'] },
      { stripeAccount: driver },
    );
    // The connected account cannot expand the platform's transfer.
    expect(payment.source_transfer).toBe(transfer.id);
  });
});
