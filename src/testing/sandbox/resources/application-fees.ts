import type Stripe from 'stripe';
import { listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';

/** Application fees, owned by the platform that collects them. */
export const FEES = defineStore<Stripe.ApplicationFee>('application_fees');

export const applicationFees: ResourceModule = {
  name: 'application fees',
  objects: [FEES],
  routes: [
    listRoute(FEES, '/v1/application_fees', { charge: 'string' }),
    retrieveRoute(FEES, '/v1/application_fees', 'application fee', 'id'),
  ],
};
