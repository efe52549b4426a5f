import { describe, expect, it } from 'vitest';
import { EXPRESS, setup } from './helpers.js';

// One destination check serves transfers.create and destination charges. Stripe's error for a destination that cannot
// receive funds (code insufficient_capabilities_for_transfer) reads "Your destination account needs to have at least
// one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments", on both endpoints.
describe('the destination of transfers and destination charges', () => {
  async function accountWith(capability: string, onboard: boolean) {
    const { sandbox, stripe } = setup({ platformBalance: { gbp: 10_000 } });
    const account = await stripe.accounts.create({
      controller: EXPRESS,
      country: 'GB',
      capabilities: { [capability]: { requested: true } },
    });
    if (onboard) sandbox.completeOnboarding(account.id);
    return { stripe, destination: account.id };
  }

  it('accepts an account whose only active capability is crypto_transfers, on both endpoints', async () => {
    const { stripe, destination } = await accountWith('crypto_transfers', true);
    const transfer = await stripe.transfers.create({ amount: 500, currency: 'gbp', destination });
    expect(transfer.destination).toBe(destination);
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'gbp',
      transfer_data: { destination },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    expect(intent.transfer_data?.destination).toBe(destination);
  });

  it('refuses an account with no active capability the same way on both endpoints', async () => {
    const { stripe, destination } = await accountWith('transfers', false);
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => null,
        (e: { code?: string; message: string }) => ({ code: e.code, message: e.message }),
      );
    const transfer = await refusal(stripe.transfers.create({ amount: 500, currency: 'gbp', destination }));
    const charge = await refusal(stripe.paymentIntents.create({ amount: 1000, currency: 'gbp', transfer_data: { destination } }));
    expect(transfer?.code).toBe('insufficient_capabilities_for_transfer');
    expect(charge).toEqual(transfer);
  });
});
