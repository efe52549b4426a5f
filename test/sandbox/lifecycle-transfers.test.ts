import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { balanceOf, EXPRESS, setup, stripeError } from './helpers.js';

// Separate charges and transfers as Stripe documents them
// (https://docs.stripe.com/connect/separate-charges-and-transfers):
// - a charge and its transfers share a `transfer_group`, and `transfers.list({ transfer_group })` finds them;
// - with `source_transaction` a transfer succeeds while the charge's funds are still pending, and its funds become
//   available when the charge's do (#transfer-availability); one charge may fund several transfers, together no more
//   than the charge;
// - without it a transfer needs the platform's available balance;
// - refunding the charge does not touch the transfers; reversing one takes the funds back from the connected account's
//   balance, which must cover it (https://docs.stripe.com/api/transfer_reversals/create). (A destination charge's
//   transfer is reversed by its refund with `reverse_transfer`, a different path.)
const NOON = Date.UTC(2026, 0, 5, 12);
const DAY_MS = 86_400_000;

async function usAccount(sandbox: ReturnType<typeof setup>['sandbox'], stripe: Stripe): Promise<string> {
  const account = await stripe.accounts.create({
    controller: EXPRESS,
    country: 'US',
    capabilities: { transfers: { requested: true } },
  });
  sandbox.completeOnboarding(account.id);
  return account.id;
}

async function order() {
  const { sandbox, stripe } = setup({ settlementDelayDays: 2, now: () => NOON });
  const restaurant = await usAccount(sandbox, stripe);
  const courier = await usAccount(sandbox, stripe);
  const intent = await stripe.paymentIntents.create({
    amount: 3000,
    currency: 'usd',
    transfer_group: 'order_7',
    payment_method: 'pm_card_visa',
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  const chargeId = intent.latest_charge as string;
  const split = (destination: string, amount: number) =>
    stripe.transfers.create({ amount, currency: 'usd', destination, transfer_group: 'order_7', source_transaction: chargeId });
  return { sandbox, stripe, restaurant, courier, chargeId, split };
}

describe('separate charges and transfers', () => {
  it('splits one pending charge into several transfers, capped by the charge, available with the charge', async () => {
    const { sandbox, stripe, restaurant, courier, chargeId, split } = await order();
    expect((await stripe.charges.retrieve(chargeId)).transfer_group).toBe('order_7');
    expect(balanceOf(sandbox, 'platform', 'usd')).toBe(0);

    const food = await split(restaurant, 2000);
    const ride = await split(courier, 700);
    expect(food).toMatchObject({ transfer_group: 'order_7', source_transaction: chargeId, amount: 2000 });
    const over = await stripeError(split(courier, 301));
    expect(over).toMatchObject({ type: 'StripeInvalidRequestError', code: 'balance_insufficient', param: 'amount' });
    expect((await split(courier, 300)).amount).toBe(300);

    // Pending until the charge settles.
    expect((await stripe.balance.retrieve({}, { stripeAccount: restaurant })).pending[0]?.amount).toBe(2000);
    expect(balanceOf(sandbox, restaurant, 'usd')).toBe(0);
    sandbox.advanceTime(2 * DAY_MS);
    expect(balanceOf(sandbox, restaurant, 'usd')).toBe(2000);
    expect(balanceOf(sandbox, courier, 'usd')).toBe(1000);
    expect(balanceOf(sandbox, 'platform', 'usd')).toBe(0);

    const unrelated = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      transfer_group: 'order_8',
      payment_method: 'pm_card_bypassPending',
      confirm: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await stripe.transfers.create({ amount: 500, currency: 'usd', destination: courier, transfer_group: 'order_8' });
    expect(unrelated.status).toBe('succeeded');
    const group = await stripe.transfers.list({ transfer_group: 'order_7' });
    expect(group.data.map((t) => t.id)).toContain(food.id);
    expect(group.data.map((t) => t.id)).toContain(ride.id);
    expect(group.data).toHaveLength(3);
  });

  it('needs the available balance for a transfer without source_transaction', async () => {
    const { stripe, courier } = await order();
    const error = await stripeError(stripe.transfers.create({ amount: 100, currency: 'usd', destination: courier }));
    expect(error).toMatchObject({ code: 'balance_insufficient', statusCode: 400 });
  });

  it('leaves the transfers alone on a refund; a reversal needs the connected account to cover it', async () => {
    const { sandbox, stripe, restaurant, chargeId, split } = await order();
    const food = await split(restaurant, 2000);
    sandbox.advanceTime(2 * DAY_MS);
    await stripe.refunds.create({ charge: chargeId, amount: 1000 });
    expect((await stripe.transfers.retrieve(food.id)).amount_reversed).toBe(0);
    expect(balanceOf(sandbox, restaurant, 'usd')).toBe(2000);

    // The restaurant pays 1500 out; only 500 is left to take back.
    await stripe.accounts.createExternalAccount(restaurant, {
      external_account: {
        object: 'bank_account',
        country: 'US',
        currency: 'usd',
        account_number: '000123456789',
        routing_number: '110000000',
      },
    } as Stripe.AccountCreateExternalAccountParams);
    await stripe.payouts.create({ amount: 1500, currency: 'usd' }, { stripeAccount: restaurant });
    const short = await stripeError(stripe.transfers.createReversal(food.id, { amount: 1000 }));
    expect(short).toMatchObject({ type: 'StripeInvalidRequestError', code: 'balance_insufficient', statusCode: 400 });
    const reversal = await stripe.transfers.createReversal(food.id, { amount: 500 });
    expect(reversal).toMatchObject({ amount: 500, transfer: food.id });
    expect(balanceOf(sandbox, restaurant, 'usd')).toBe(0);
  });
});
