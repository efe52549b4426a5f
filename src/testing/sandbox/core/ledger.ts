import type Stripe from 'stripe';
import { newBalanceTransaction } from '../objects.js';
import { proportionHalfUp } from '../rules/money.js';
import { defineStore, type Store } from './store.js';

/** Every balance transaction, owned by the account whose balance it moves. */
export const BALANCE_TRANSACTIONS = defineStore<Stripe.BalanceTransaction>('balance_transactions');

export interface LedgerEntry {
  account: string;
  amount: number;
  fee?: number;
  currency: string;
  type: Stripe.BalanceTransaction.Type;
  reportingCategory: string;
  source: string;
  description?: string | null;
  /** When the funds become available (seconds); later than now leaves the transaction `pending` until then. */
  availableOn?: number;
}

/**
 * The money core: each movement of funds is a balance transaction on one account, and balances are their sums.
 * A transaction is available when created unless its entry names a later `availableOn`; it stays `pending` until
 * settlement (`resources/settlement.ts`) marks it available.
 */
export class Ledger {
  /** Seconds between a payment and the availability of its funds (`settlementDelayDays`); 0 settles at once. */
  settlementDelaySeconds = 0;

  constructor(
    readonly transactions: Store<Stripe.BalanceTransaction>,
    private readonly newId: (prefix: string) => string,
    private readonly nowSeconds: () => number,
    private readonly feeBasisPoints: number,
    private readonly feeFixed: number,
  ) {}

  record(entry: LedgerEntry): Stripe.BalanceTransaction {
    const txn = newBalanceTransaction({
      id: this.newId('txn'),
      created: this.nowSeconds(),
      amount: entry.amount,
      fee: entry.fee ?? 0,
      currency: entry.currency,
      type: entry.type,
      reportingCategory: entry.reportingCategory,
      source: entry.source,
      description: entry.description ?? null,
    });
    if (entry.availableOn !== undefined && entry.availableOn > txn.created) {
      txn.available_on = entry.availableOn;
      txn.status = 'pending';
    }
    this.transactions.set(txn.id, entry.account, txn);
    return txn;
  }

  /** When a payment made now becomes available: after the settlement delay. */
  paymentAvailableOn(): number {
    return this.nowSeconds() + this.settlementDelaySeconds;
  }

  /** Pending totals of `account` per currency. */
  pendingTotals(account: string): Map<string, number> {
    const totals = new Map<string, number>();
    for (const { owner, obj } of this.transactions.values()) {
      if (owner === account && obj.status === 'pending') totals.set(obj.currency, (totals.get(obj.currency) ?? 0) + obj.net);
    }
    return totals;
  }

  /** Available net totals of `account` per currency (0 for a currency with only pending funds), in the order currencies first appeared. */
  totals(account: string): Map<string, number> {
    const totals = new Map<string, number>();
    for (const { owner, obj } of this.transactions.values()) {
      if (owner === account) totals.set(obj.currency, (totals.get(obj.currency) ?? 0) + (obj.status === 'pending' ? 0 : obj.net));
    }
    return totals;
  }

  /** The available balance of `account` in `currency`. */
  available(account: string, currency: string): number {
    let sum = 0;
    for (const { owner, obj } of this.transactions.values())
      if (owner === account && obj.currency === currency && obj.status !== 'pending') sum += obj.net;
    return sum;
  }

  /** Net totals of every account that has transactions, per currency, in the order they first appeared. */
  allTotals(): { account: string; currency: string; amount: number }[] {
    const totals = new Map<string, { account: string; currency: string; amount: number }>();
    for (const { owner, obj } of this.transactions.values()) {
      const key = `${owner} ${obj.currency}`;
      const row = totals.get(key) ?? { account: owner, currency: obj.currency, amount: 0 };
      if (obj.status !== 'pending') row.amount += obj.net;
      totals.set(key, row);
    }
    return [...totals.values()];
  }

  /** Stripe's processing fee on a payment of `amount`: basis points rounded half up, plus the fixed part. */
  processingFee(amount: number): number {
    if (this.feeBasisPoints === 0 && this.feeFixed === 0) return 0;
    return proportionHalfUp(amount, this.feeBasisPoints, 10_000) + this.feeFixed;
  }
}

/**
 * What a refund returns of `total` (a transfer or an application fee): its share of the charge's cumulative refunded
 * amount (`total * refundedAfter / chargeAmount`, rounded half up in integers), minus what earlier refunds returned,
 * and never more than is left. Computing on the cumulative total makes the parts add up to `total` exactly.
 */
export function nextShare(
  total: number,
  returnedByRefunds: number,
  left: number,
  refundedAfter: number,
  chargeAmount: number,
): number {
  const share = proportionHalfUp(total, refundedAfter, chargeAmount);
  return Math.min(share - returnedByRefunds, left);
}
