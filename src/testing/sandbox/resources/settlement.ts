import type { SandboxCore } from '../core/core.js';
import { defineState } from '../core/store.js';
import { balanceObject } from './balance.js';
import { arrive, createPayout, EXTERNAL_ACCOUNTS, PAYOUTS } from './payouts.js';

/** The last day (days since the epoch, UTC) each connected account was paid out automatically. */
const PAID_OUT_DAY = defineState('automatic_payout_day', () => new Map<string, number>());

const DAY = 86_400;

/**
 * What Stripe does as time passes, run after each `advanceTime`:
 * 1. pending funds whose `available_on` has passed become available, and each account whose funds did gets
 *    `balance.available` with its balance (https://docs.stripe.com/api/events/types#event_types-balance.available);
 * 2. pending payouts whose `arrival_date` has passed are paid, or fail on a failing test bank account;
 * 3. automatic payouts: a connected account with a bank account is paid out its whole available balance in that
 *    bank account's currency once per UTC day the clock enters, unless that bank account is `errored` (Stripe's default daily schedule,
 *    https://docs.stripe.com/connect/manage-payout-schedule, simplified: no delay days, weekly or monthly intervals).
 */
export function settle(core: SandboxCore): void {
  const now = core.nowSeconds();
  const settled = new Set<string>();
  for (const { owner, obj } of core.ledger.transactions.values()) {
    if (obj.status === 'pending' && obj.available_on <= now) {
      obj.status = 'available';
      settled.add(owner);
    }
  }
  for (const owner of settled) core.emit('balance.available', balanceObject(core, owner) as { id?: string }, owner);

  for (const stored of [...core.state(PAYOUTS).values()]) {
    if (stored.obj.status === 'pending' && stored.obj.arrival_date <= now) arrive(core, stored);
  }

  const today = Math.floor(now / DAY);
  const days = core.state(PAID_OUT_DAY);
  for (const { owner, obj: bank } of [...core.state(EXTERNAL_ACCOUNTS).values()]) {
    // An errored bank account (a payout to it failed) gets no scheduled payouts until the account adds another.
    if (!bank.default_for_currency || bank.status === 'errored') continue;
    const key = `${owner} ${bank.currency}`;
    const last = days.get(key) ?? Math.floor((core.accounts.get(owner)?.obj.created ?? now) / DAY);
    days.set(key, today);
    if (today <= last) continue;
    const amount = core.ledger.available(owner, bank.currency);
    if (amount > 0) createPayout(core, owner, { amount, currency: bank.currency, destination: bank.id, automatic: true });
  }
}
