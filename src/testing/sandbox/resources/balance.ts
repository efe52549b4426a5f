import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { BALANCE_TRANSACTIONS } from '../core/ledger.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';

/** The balance of `account`: available and pending funds per currency. */
export function balanceObject(core: SandboxCore, account: string): Stripe.Balance {
  const totals = core.ledger.totals(account);
  if (totals.size === 0)
    totals.set(account === core.platformId ? 'usd' : (core.accounts.get(account)?.obj.default_currency ?? 'usd'), 0);
  const pending = core.ledger.pendingTotals(account);
  const row = (currency: string, amount: number) => ({ amount, currency, source_types: { card: amount } });
  const rows = [...totals].map(([currency, amount]) => row(currency, amount));
  return {
    object: 'balance',
    available: rows,
    livemode: false,
    pending: rows.map((r) => row(r.currency, pending.get(r.currency) ?? 0)),
  };
}

/** The balance and its balance transactions (the ledger lives in the core). */
export const balance: ResourceModule = {
  name: 'balances',
  objects: [BALANCE_TRANSACTIONS],
  routes: [
    { method: 'GET', path: '/v1/balance', params: EXPAND, handler: (core, { account }) => balanceObject(core, account) },
    listRoute(BALANCE_TRANSACTIONS, '/v1/balance_transactions', { type: 'string', source: 'string', currency: 'string' }),
    retrieveRoute(BALANCE_TRANSACTIONS, '/v1/balance_transactions', 'balance transaction', 'id'),
  ],
};
