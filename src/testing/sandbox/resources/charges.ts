import type Stripe from 'stripe';
import { listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineState, defineStore } from '../core/store.js';

/** Charges, and the payments (`py_...`) that transfers create on connected accounts. */
export const CHARGES = defineStore<Stripe.Charge>('charges');

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

export const charges: ResourceModule = {
  name: 'charges',
  objects: [CHARGES],
  routes: [
    listRoute(CHARGES, '/v1/charges', { payment_intent: 'string', transfer_group: 'string' }),
    retrieveRoute(CHARGES, '/v1/charges', 'charge', 'id'),
  ],
};
