import { createSandbox } from '../../src/testing/index.js';
import { describe, expect, it } from 'vitest';
import { balanceOf, paidIntent, readyAccount, setup } from './helpers.js';

// Settlement as Stripe documents it:
// - card funds are pending until `available_on`, then available, with a `balance.available` event
//   (https://docs.stripe.com/api/balance_transactions/object, https://docs.stripe.com/api/events/types);
//   the delay depends on the country (https://docs.stripe.com/payouts#standard-payout-timing), here an option;
// - `pm_card_bypassPending` skips the pending balance (https://docs.stripe.com/testing#available-balance);
// - funds a destination charge transfers become available when the charge's do
//   (https://docs.stripe.com/connect/separate-charges-and-transfers#transfer-availability).
const NOON = Date.UTC(2026, 0, 5, 12);
const DAY_MS = 86_400_000;

describe('settlement', () => {
  it('keeps a destination charge pending on both accounts until advanceTime passes available_on', async () => {
    const { sandbox, stripe } = setup({ settlementDelayDays: 2, now: () => NOON });
    const driver = await readyAccount(sandbox, stripe);
    const intent = await paidIntent(stripe, driver);
    const charge = await stripe.charges.retrieve(intent.latest_charge as string, { expand: ['balance_transaction'] });
    const txn = charge.balance_transaction as { id: string; status: string; available_on: number; created: number };
    expect(txn.status).toBe('pending');
    expect(txn.available_on).toBe(txn.created + 2 * 86_400);

    const platform = await stripe.balance.retrieve();
    expect(platform.available).toEqual([{ amount: 0, currency: 'gbp', source_types: { card: 0 } }]);
    expect(platform.pending).toEqual([{ amount: 240, currency: 'gbp', source_types: { card: 240 } }]);
    const vendor = await stripe.balance.retrieve({}, { stripeAccount: driver });
    expect(vendor.pending[0]?.amount).toBe(1760);
    expect(balanceOf(sandbox, driver)).toBe(0);

    sandbox.advanceTime(2 * DAY_MS - 1000);
    expect(balanceOf(sandbox, driver)).toBe(0);
    expect(sandbox.events().filter((e) => e.type === 'balance.available')).toHaveLength(0);

    sandbox.advanceTime(1000);
    expect(balanceOf(sandbox, driver)).toBe(1760);
    expect(balanceOf(sandbox, 'platform')).toBe(240);
    expect((await stripe.balance.retrieve({}, { stripeAccount: driver })).pending[0]?.amount).toBe(0);
    const settled = sandbox.events().filter((e) => e.type === 'balance.available');
    expect(settled.map((e) => e.account ?? 'platform')).toEqual(['platform', driver]);
    const object = settled[1]?.data.object as { object: string; available: { amount: number }[] };
    expect(object.object).toBe('balance');
    expect(object.available[0]?.amount).toBe(1760);
    expect((await stripe.balanceTransactions.retrieve(txn.id)).status).toBe('available');
  });

  it('settles pm_card_bypassPending at once whatever the delay', async () => {
    const { sandbox, stripe } = setup({ settlementDelayDays: 2, now: () => NOON });
    const driver = await readyAccount(sandbox, stripe);
    const intent = await stripe.paymentIntents.create({
      amount: 2000,
      currency: 'gbp',
      application_fee_amount: 240,
      transfer_data: { destination: driver },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    await stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_bypassPending' });
    expect(balanceOf(sandbox, driver)).toBe(1760);
    expect(balanceOf(sandbox, 'platform')).toBe(240);
  });

  it('settles at once by default, as before, and refuses a bad delay', async () => {
    const { sandbox, stripe } = setup();
    const driver = await readyAccount(sandbox, stripe);
    await paidIntent(stripe, driver);
    expect(balanceOf(sandbox, driver)).toBe(1760);
    expect((await stripe.balance.retrieve()).pending[0]?.amount).toBe(0);
    expect(() => createSandbox({ settlementDelayDays: -1 })).toThrow(TypeError);
    expect(() => createSandbox({ settlementDelayDays: 1.5 })).toThrow(/non-negative integer/);
  });
});
