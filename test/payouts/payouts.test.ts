import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { PayoutRecord, VendorRecord } from '../../src/core/records.js';
import { type World, world } from '../world.js';

// What these tests rely on from Stripe:
// - a connected account's balance is `balance.retrieve` with its `stripeAccount`: `available` and `pending` amounts per
//   currency (https://docs.stripe.com/api/balance/balance_retrieve, https://docs.stripe.com/connect/account-balances);
// - connected accounts are paid out automatically on a schedule, daily by default
//   (https://docs.stripe.com/connect/manage-payout-schedule), and `payout.created`, `payout.paid`, `payout.failed` arrive on
//   the Connect endpoint with `event.account` (https://docs.stripe.com/connect/webhooks);
// - a payout's status is `pending`, `in_transit`, `paid`, `failed` or `canceled`, and "some payouts that fail might
//   initially show as `paid`, then change to `failed`" (https://docs.stripe.com/api/payouts/object);
// - test bank account 000123456789 pays out and 000111111116 fails with `no_account`
//   (https://docs.stripe.com/connect/testing#payouts); a failed payout's amount returns to the balance
//   (https://docs.stripe.com/api/payouts/failures).

const NOON = Date.UTC(2026, 0, 5, 12);
const DAY_MS = 86_400_000;
const urls = { returnUrl: 'https://market.example/return', refreshUrl: 'https://market.example/refresh' };

function payoutWorld() {
  const w: World = world({ now: () => w.sandbox.nowMs() }, {}, { sandbox: { now: () => NOON, settlementDelayDays: 1 } });
  return w; // signatures are dated on the sandbox's clock
}
type PayoutWorld = ReturnType<typeof payoutWorld>;

async function paidVendor(w: PayoutWorld, vendorId: string, accountNumber: string) {
  const { url, accountId } = await w.market.onboardVendor({ vendorId, country: 'GB', ...urls });
  await w.sandbox.fetch(new Request(url));
  await w.sandbox.fetch(
    new Request(url, {
      method: 'POST',
      body: 'action=complete',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }),
  );
  await addBank(w, accountId, accountNumber);
  const checkout = await w.market.createCheckout({ orderId: `order_${vendorId}`, vendorId, amount: 2000, currency: 'gbp' });
  await w.stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://market.example/paid',
  });
  await w.sandbox.flushWebhooks();
  return accountId;
}

async function addBank(w: PayoutWorld, accountId: string, accountNumber: string) {
  await w.stripe.accounts.createExternalAccount(accountId, {
    external_account: {
      object: 'bank_account',
      country: 'GB',
      currency: 'gbp',
      account_number: accountNumber,
      routing_number: '108800',
    },
    default_for_currency: true,
  } as Stripe.AccountCreateExternalAccountParams);
}

async function nextDay(w: PayoutWorld) {
  w.sandbox.advanceTime(DAY_MS);
  const flushed = await w.sandbox.flushWebhooks();
  expect(flushed.failed).toEqual([]);
}

describe('vendor balances', () => {
  it('reads available and pending funds per currency from Stripe, before and after settlement and payout', async () => {
    const w = payoutWorld();
    const accountId = await paidVendor(w, 'driver_42', '000123456789');
    expect(await w.market.vendorBalance('driver_42')).toEqual({
      vendorId: 'driver_42',
      accountId,
      available: { gbp: 0 },
      pending: { gbp: 1760 },
    });
    await nextDay(w); // the funds settle, and the daily automatic payout takes them
    expect(await w.market.vendorBalance('driver_42')).toMatchObject({ available: { gbp: 0 }, pending: { gbp: 0 } });
    const [payout] = await w.market.listPayouts({ vendorId: 'driver_42' });
    expect(payout).toMatchObject({ amount: 1760, currency: 'gbp', status: 'pending', accountId });
  });

  it('refuses bad input before any request: INVALID_INPUT for a malformed id, VENDOR_NOT_FOUND for an unknown vendor', async () => {
    const w = payoutWorld();
    const before = w.sandbox.events().length;
    await expect(w.market.vendorBalance('')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.vendorBalance(42 as unknown as string)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.vendorBalance('nobody')).rejects.toMatchObject({ code: 'VENDOR_NOT_FOUND' });
    await expect(w.market.listPayouts({} as { vendorId: string })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.listPayouts({ vendorId: 'v', limit: 0 })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(w.market.listPayouts({ vendorId: 'v', extra: 1 } as { vendorId: string })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(w.sandbox.events().length).toBe(before);
  });
});

describe('payouts from payout.* events', () => {
  it('records an automatic payout created by the schedule, then paid; the handler gets ctx.payout and ctx.vendor', async () => {
    const w = payoutWorld();
    const seen: [string, PayoutRecord | undefined, string | undefined][] = [];
    w.market.on(['payout.created', 'payout.paid'], (event, ctx) => {
      seen.push([event.type, ctx.payout, ctx.vendor?.vendorId]);
    });
    await paidVendor(w, 'driver_42', '000123456789');
    await nextDay(w);
    const [created] = await w.market.listPayouts({ vendorId: 'driver_42' });
    expect(created?.status).toBe('pending');
    expect(created?.arrivalDate).toBe(NOON + 2 * DAY_MS);
    await nextDay(w);
    const payouts = await w.market.listPayouts({ vendorId: 'driver_42' });
    expect(payouts).toHaveLength(1);
    expect(payouts[0]).toMatchObject({ payoutId: created?.payoutId, status: 'paid', amount: 1760, failureCode: null });
    expect(seen.map(([type, payout, vendor]) => [type, payout?.status, vendor])).toEqual([
      ['payout.created', 'pending', 'driver_42'],
      ['payout.paid', 'paid', 'driver_42'],
    ]);
    expect((await w.market.getVendor('driver_42'))?.payoutFailed ?? null).toBeNull();
    expect(await w.market.vendorBalance('driver_42')).toMatchObject({ available: { gbp: 0 }, pending: { gbp: 0 } });
  });

  it('a failed payout shows on the vendor with its code and message, its funds come back, and a later paid payout clears it', async () => {
    const w = payoutWorld();
    const failures: (VendorRecord['payoutFailed'] | undefined)[] = [];
    w.market.on('payout.failed', (_event, ctx) => {
      failures.push(ctx.vendor?.payoutFailed);
      expect(ctx.payout?.status).toBe('failed');
    });
    const accountId = await paidVendor(w, 'driver_7', '000111111116');
    await nextDay(w); // settled and paid out to the failing account
    await nextDay(w); // the payout fails
    const [failed] = await w.market.listPayouts({ vendorId: 'driver_7' });
    expect(failed).toMatchObject({ status: 'failed', amount: 1760, failureCode: 'no_account' });
    expect(failed?.failureMessage).toContain('No bank account could be located');
    const vendor = await w.market.getVendor('driver_7');
    expect(vendor?.payoutFailed).toEqual({
      payoutId: failed?.payoutId,
      amount: 1760,
      currency: 'gbp',
      failureCode: 'no_account',
      failureMessage: failed?.failureMessage,
      payoutCreatedAt: failed?.createdAt,
    });
    expect(failures).toEqual([vendor?.payoutFailed]);
    // The failed payout's amount is back in the available balance.
    expect(await w.market.vendorBalance('driver_7')).toMatchObject({ accountId, available: { gbp: 1760 }, pending: { gbp: 0 } });

    await addBank(w, accountId, '000123456789'); // the vendor fixes its bank account
    await nextDay(w); // the next automatic payout
    await nextDay(w); // arrives
    const payouts = await w.market.listPayouts({ vendorId: 'driver_7' });
    expect(payouts.map((p) => p.status)).toEqual(['paid', 'failed']);
    expect((await w.market.getVendor('driver_7'))?.payoutFailed).toBeNull();
    expect(await w.market.vendorBalance('driver_7')).toMatchObject({ available: { gbp: 0 } });
  });

  it('a paid payout that the bank returns later (sandbox.failPayout) becomes failed and shows on the vendor', async () => {
    const w = payoutWorld();
    await paidVendor(w, 'driver_42', '000123456789');
    await nextDay(w);
    await nextDay(w);
    const [paid] = await w.market.listPayouts({ vendorId: 'driver_42' });
    expect(paid?.status).toBe('paid');
    w.sandbox.failPayout(paid?.payoutId as string, 'account_closed');
    expect((await w.sandbox.flushWebhooks()).failed).toEqual([]);
    const [failed] = await w.market.listPayouts({ vendorId: 'driver_42' });
    expect(failed).toMatchObject({ payoutId: paid?.payoutId, status: 'failed', failureCode: 'account_closed' });
    expect((await w.market.getVendor('driver_42'))?.payoutFailed).toMatchObject({
      payoutId: paid?.payoutId,
      failureCode: 'account_closed',
      failureMessage: 'The bank account has been closed.',
    });
    expect(await w.market.vendorBalance('driver_42')).toMatchObject({ available: { gbp: 1760 } });
  });

  it('late and duplicated events never undo newer state: a failure after its paid event, a replayed created', async () => {
    const w = payoutWorld();
    await paidVendor(w, 'driver_7', '000111111116');
    w.sandbox.advanceTime(DAY_MS);
    w.sandbox.advanceTime(DAY_MS);
    const payoutEvents = w.sandbox.events().filter((e) => e.type.startsWith('payout.'));
    expect(payoutEvents.map((e) => e.type)).toEqual(['payout.created', 'payout.failed']);
    const [created, failedEvent] = payoutEvents as [Stripe.Event, Stripe.Event];
    // Delivered in reverse: failed first, then the older created.
    expect((await w.market.receiveEvent(failedEvent)).outcome).toBe('processed');
    expect((await w.market.receiveEvent(created)).outcome).toBe('processed');
    // Stripe reports a payout as paid before it fails: a late paid event does not undo the failure either.
    const paidLate = {
      ...created,
      id: 'evt_paid_late',
      type: 'payout.paid',
      data: { object: { ...(created.data.object as Stripe.Payout), status: 'paid' } },
    };
    expect((await w.market.receiveEvent(paidLate as Stripe.Event)).outcome).toBe('processed');
    const [payout] = await w.market.listPayouts({ vendorId: 'driver_7' });
    expect(payout).toMatchObject({ status: 'failed', failureCode: 'no_account' });
    expect((await w.market.getVendor('driver_7'))?.payoutFailed?.payoutId).toBe(payout?.payoutId);
    expect((await w.market.receiveEvent(failedEvent)).outcome).toBe('duplicate');
    expect(await w.market.listPayouts({ vendorId: 'driver_7' })).toHaveLength(1);
  });

  it('ignores payouts of accounts that are not stored vendors', async () => {
    const w = payoutWorld();
    await paidVendor(w, 'driver_42', '000123456789');
    const event = w.sandbox.events().find((e) => e.type === 'account.updated') as Stripe.Event;
    const stranger = {
      ...event,
      id: 'evt_stranger',
      type: 'payout.created',
      account: 'acct_stranger',
      data: {
        object: { id: 'po_x', object: 'payout', amount: 5, currency: 'gbp', status: 'pending', created: 1, arrival_date: 2 },
      },
    } as unknown as Stripe.Event;
    expect((await w.market.receiveEvent(stranger)).outcome).toBe('processed');
    expect(await w.market.storage.get('payout', 'po_x')).toBeNull();
  });
});
