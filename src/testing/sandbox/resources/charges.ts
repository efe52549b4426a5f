import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { list, listOwned } from '../core/list.js';
import { EXPAND, LIST, type ResourceModule } from '../core/routes.js';
import { defineState, defineStore } from '../core/store.js';
import type { Params } from '../params.js';

/** Charges, and the payments (`py_...`) that transfers create on connected accounts. */
export const CHARGES = defineStore<Stripe.Charge>('charges');

/** Refunds of charges, and of the payments a transfer reversal returns (`pyr_...`, owned by the connected account). */
export const REFUNDS = defineStore<Stripe.Refund>('refunds');

/** What a succeeded charge moved, for its refunds to return in proportion. */
export interface ChargeMeta {
  transfer: string | null;
  fee: string | null;
  /** The account that paid the application fee (the destination, or the merchant of a direct charge). */
  feePayer: string | null;
  reversedByRefunds: number;
  feeRefundedByRefunds: number;
}

export const CHARGE_META = defineState('charge_meta', () => new Map<string, ChargeMeta>());

/** The refunds of `charge`, newest first, as the `refunds` list Stripe returns only when expanded. */
function refundList(core: SandboxCore, charge: Stripe.Charge): Stripe.ApiList<Stripe.Refund> {
  const refunds = [...core.state(REFUNDS).values()].filter((r) => r.obj.charge === charge.id).map((r) => r.obj);
  return list(refunds, { limit: 100 }, `/v1/charges/${charge.id}/refunds`);
}

/**
 * Since API version 2022-11-15 a charge carries `refunds` only when the request expands it
 * (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand): `expand[]=refunds` on one charge,
 * `expand[]=data.refunds` on a list.
 */
function withRefunds(core: SandboxCore, charge: Stripe.Charge, expand: unknown, path: string): Stripe.Charge {
  const paths = Array.isArray(expand) ? (expand as string[]) : [];
  return paths.includes(path) ? { ...charge, refunds: refundList(core, charge) } : charge;
}

const CHARGE_LIST = { ...LIST, payment_intent: 'string', transfer_group: 'string' } as const;

export const charges: ResourceModule = {
  name: 'charges',
  objects: [CHARGES],
  routes: [
    {
      method: 'GET',
      path: '/v1/charges',
      params: CHARGE_LIST,
      handler: (core, { params, account }) => {
        const { expand, ...filters } = params;
        const found = listOwned(core.state(CHARGES), filters as Params, account, '/v1/charges');
        return { ...found, data: found.data.map((c) => withRefunds(core, c, expand, 'data.refunds')) };
      },
    },
    {
      method: 'GET',
      path: '/v1/charges/:id',
      params: EXPAND,
      handler: (core, { path, params, account }) =>
        withRefunds(core, core.state(CHARGES).owned(path.id as string, account, 'charge', 'id').obj, params.expand, 'refunds'),
    },
  ],
};
