import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, EXPRESS, setup, stripeError } from './helpers.js';

// Payouts as Stripe documents them:
// - a connected account's payouts are created with its `stripeAccount` (https://docs.stripe.com/connect/payouts-connected-accounts)
//   and paid out of its available balance (https://docs.stripe.com/api/payouts/create);
// - `payout.created`, `payout.paid`, `payout.failed` are Connect events with `event.account`
//   (https://docs.stripe.com/connect/webhooks);
// - test bank account 000123456789 pays out, 000111111116 fails with `no_account`, 000111111113 with `account_closed`
//   (https://docs.stripe.com/connect/testing#payouts); a failed payout returns its amount to the balance
//   (https://docs.stripe.com/api/payouts/failures);
// - automatic payouts follow the account's schedule, daily by default (https://docs.stripe.com/connect/manage-payout-schedule).
const NOON = Date.UTC(2026, 0, 5, 12);
const DAY_MS = 86_400_000;

async function vendorWithBank(accountNumber: string, balance = 2000) {
  const { sandbox, stripe } = setup({ now: () => NOON, platformBalance: { usd: 10_000 } });
  const account = await stripe.accounts.create({
    controller: EXPRESS,
    country: 'US',
    capabilities: { transfers: { requested: true } },
  });
  sandbox.completeOnboarding(account.id);
  const bank = (await stripe.accounts.createExternalAccount(account.id, {
    external_account: {
      object: 'bank_account',
      country: 'US',
      currency: 'usd',
      account_number: accountNumber,
      routing_number: '110000000',
    },
  } as Stripe.AccountCreateExternalAccountParams)) as Stripe.BankAccount;
  await stripe.transfers.create({ amount: balance, currency: 'usd', destination: account.id });
  return { sandbox, stripe, vendor: account.id, bank };
}

const payoutEvents = (events: Stripe.Event[]) =>
  events.filter((e) => e.type.startsWith('payout.')).map((e) => [e.type, e.account, (e.data.object as Stripe.Payout).automatic]);

describe('payouts', () => {
  it('adds a bank account to a connected account, showing only last4', async () => {
    const { stripe, vendor, bank } = await vendorWithBank('000123456789');
    expect(bank).toMatchObject({
      object: 'bank_account',
      account: vendor,
      last4: '6789',
      currency: 'usd',
      default_for_currency: true,
    });
    expect(JSON.stringify(bank)).not.toContain('000123456789');
    const listed = await stripe.accounts.listExternalAccounts(vendor);
    expect(listed.data.map((b) => b.id)).toEqual([bank.id]);
  });

  it('pays out manually from the available balance, then pays it when advanceTime passes arrival_date', async () => {
    const { sandbox, stripe, vendor, bank } = await vendorWithBank('000123456789');
    const payout = await stripe.payouts.create({ amount: 1500, currency: 'usd' }, { stripeAccount: vendor });
    expect(payout).toMatchObject({ object: 'payout', amount: 1500, status: 'pending', automatic: false, destination: bank.id });
    expect(payout.arrival_date).toBe(NOON / 1000 + 86_400);
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(500);
    const txn = await stripe.balanceTransactions.retrieve(payout.balance_transaction as string, {}, { stripeAccount: vendor });
    expect(txn).toMatchObject({ amount: -1500, type: 'payout' });

    sandbox.advanceTime(DAY_MS);
    expect((await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: vendor })).status).toBe('paid');
    // The same day boundary pays the rest out automatically.
    expect(payoutEvents(sandbox.events())).toEqual([
      ['payout.created', vendor, false],
      ['payout.paid', vendor, false],
      ['payout.created', vendor, true],
    ]);
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(0);
    const listed = await stripe.payouts.list({ status: 'pending' }, { stripeAccount: vendor });
    expect(listed.data.map((p) => [p.amount, p.automatic])).toEqual([[500, true]]);
    // The platform does not see a connected account's payouts.
    expect((await stripe.payouts.list()).data).toHaveLength(0);
  });

  it('fails a payout to 000111111116 with no_account and returns the amount to the balance', async () => {
    const { sandbox, stripe, vendor } = await vendorWithBank('000111111116');
    const payout = await stripe.payouts.create({ amount: 2000, currency: 'usd' }, { stripeAccount: vendor });
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(0);
    sandbox.advanceTime(DAY_MS);
    const failed = await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: vendor });
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'no_account' });
    expect(failed.failure_message).toMatch(/No bank account could be located/);
    const back = await stripe.balanceTransactions.retrieve(
      failed.failure_balance_transaction as string,
      {},
      {
        stripeAccount: vendor,
      },
    );
    expect(back).toMatchObject({ amount: 2000, type: 'payout_failure' });
    // The bank account is errored: no scheduled payout goes to it again, the funds stay in the balance
    // (https://docs.stripe.com/api/external_account_bank_accounts/object#account_bank_account_object-status).
    const [bank] = (await stripe.accounts.listExternalAccounts(vendor)).data as Stripe.BankAccount[];
    expect(bank?.status).toBe('errored');
    sandbox.advanceTime(2 * DAY_MS);
    expect(payoutEvents(sandbox.events())).toEqual([
      ['payout.created', vendor, false],
      ['payout.failed', vendor, false],
    ]);
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(2000);
    // A new bank account resumes the schedule.
    await stripe.accounts.createExternalAccount(vendor, {
      external_account: {
        object: 'bank_account',
        country: 'US',
        currency: 'usd',
        account_number: '000123456789',
        routing_number: '110000000',
      },
      default_for_currency: true,
    } as Stripe.AccountCreateExternalAccountParams);
    sandbox.advanceTime(DAY_MS);
    expect(payoutEvents(sandbox.events()).at(-1)).toEqual(['payout.created', vendor, true]);
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(0);
  });

  it('delivers payout and balance events to the Connect endpoint only, with the account', async () => {
    const { sandbox, stripe, vendor } = await vendorWithBank('000123456789');
    const received: { endpoint: string; type: string; account?: string }[] = [];
    const collect = (endpoint: string) => (body: string) => {
      const event = JSON.parse(body) as Stripe.Event;
      received.push({ endpoint, type: event.type, account: event.account });
      return { status: 200 };
    };
    sandbox.addWebhookEndpoint({ handler: collect('platform') });
    sandbox.addWebhookEndpoint({ handler: collect('connect'), connect: true });
    await stripe.payouts.create({ amount: 2000, currency: 'usd' }, { stripeAccount: vendor });
    sandbox.advanceTime(DAY_MS);
    await sandbox.flushWebhooks();
    expect(received.filter((r) => r.type.startsWith('payout.'))).toEqual([
      { endpoint: 'connect', type: 'payout.created', account: vendor },
      { endpoint: 'connect', type: 'payout.paid', account: vendor },
    ]);
  });

  it('failPayout fails a paid payout as the bank would: funds back, bank account errored, payout.failed from paid', async () => {
    const { sandbox, stripe, vendor } = await vendorWithBank('000123456789');
    const payout = await stripe.payouts.create({ amount: 2000, currency: 'usd' }, { stripeAccount: vendor });
    sandbox.advanceTime(DAY_MS);
    expect((await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: vendor })).status).toBe('paid');
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(0);
    const failed = sandbox.failPayout(payout.id, 'no_account');
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'no_account' });
    expect(failed.failure_message).toMatch(/No bank account could be located/);
    expect(balanceOf(sandbox, vendor, 'usd')).toBe(2000);
    const event = sandbox.events().at(-1) as Stripe.Event;
    expect(event).toMatchObject({ type: 'payout.failed', account: vendor, data: { previous_attributes: { status: 'paid' } } });
    const [bank] = (await stripe.accounts.listExternalAccounts(vendor)).data as Stripe.BankAccount[];
    expect(bank?.status).toBe('errored');
    sandbox.advanceTime(DAY_MS);
    expect(payoutEvents(sandbox.events()).filter(([type]) => type === 'payout.created')).toHaveLength(1);
    expect(() => sandbox.failPayout(payout.id)).toThrow(/only a pending, in-transit or paid payout/);
    expect(() => sandbox.failPayout(payout.id, 'sunspots')).toThrow(TypeError);
    expect(() => sandbox.failPayout('po_missing')).toThrow();
  });

  it('fails with account_closed for 000111111113', async () => {
    const { sandbox, stripe, vendor } = await vendorWithBank('000111111113');
    const payout = await stripe.payouts.create({ amount: 100, currency: 'usd' }, { stripeAccount: vendor });
    sandbox.advanceTime(DAY_MS);
    expect((await stripe.payouts.retrieve(payout.id, {}, { stripeAccount: vendor })).failure_code).toBe('account_closed');
  });

  it('pays out automatically once per day entered, and not before', async () => {
    const { sandbox, vendor } = await vendorWithBank('000123456789');
    sandbox.advanceTime(DAY_MS / 4); // still the same UTC day
    expect(payoutEvents(sandbox.events())).toEqual([]);
    sandbox.advanceTime(DAY_MS / 2); // past midnight
    expect(payoutEvents(sandbox.events())).toEqual([['payout.created', vendor, true]]);
    sandbox.advanceTime(DAY_MS / 4); // same day: nothing new to pay, and already paid out today
    expect(payoutEvents(sandbox.events())).toEqual([['payout.created', vendor, true]]);
  });

  it('refuses a payout above the available balance, in a currency without a bank account, and bad parameters', async () => {
    const { stripe, vendor } = await vendorWithBank('000123456789');
    const over = await stripeError(stripe.payouts.create({ amount: 2001, currency: 'usd' }, { stripeAccount: vendor }));
    expect(over).toMatchObject({ type: 'StripeInvalidRequestError', code: 'balance_insufficient', statusCode: 400 });
    const eur = await stripeError(stripe.payouts.create({ amount: 100, currency: 'eur' }, { stripeAccount: vendor }));
    expect(eur).toMatchObject({ param: 'currency', statusCode: 400 });
    const missing = await stripeError(stripe.payouts.create({ currency: 'usd' } as never, { stripeAccount: vendor }));
    expect(missing).toMatchObject({ code: 'parameter_missing', param: 'amount' });
    const unknown = await stripeError(stripe.payouts.retrieve('po_missing', {}, { stripeAccount: vendor }));
    expect(unknown).toMatchObject({ code: 'resource_missing', statusCode: 404 });
  });
});
