import type { ResourceModule } from '../core/routes.js';
import { accountLinks } from './account-links.js';
import { accounts } from './accounts.js';
import { applicationFees } from './application-fees.js';
import { balance } from './balance.js';
import { charges } from './charges.js';
import { checkoutSessions } from './checkout-sessions.js';
import { disputes } from './disputes.js';
import { events } from './events.js';
import { loginLinks } from './login-links.js';
import { oauth } from './oauth.js';
import { paymentIntents } from './payment-intents.js';
import { payouts } from './payouts.js';
import { refunds } from './refunds.js';
import { transfers } from './transfers.js';
import { accountSessions } from './account-sessions.js';
import { billingPortal } from './billing-portal.js';
// Registers Checkout's mode=subscription with the Checkout Sessions module.
import './checkout-subscriptions.js';
import { customers } from './customers.js';
import { invoices } from './invoices.js';
import { paymentMethodDomains } from './payment-method-domains.js';
import { prices } from './prices.js';
import { products } from './products.js';
import { subscriptions } from './subscriptions.js';

/**
 * Every resource the sandbox serves, in the order the "Unrecognized request URL" error lists them. Adding a resource
 * means writing its module and adding it here.
 */
export const RESOURCES: readonly ResourceModule[] = [
  accounts,
  accountLinks,
  loginLinks,
  oauth,
  paymentIntents,
  charges,
  refunds,
  transfers,
  applicationFees,
  balance,
  checkoutSessions,
  events,
  customers,
  products,
  prices,
  subscriptions,
  invoices,
  billingPortal,
  paymentMethodDomains,
  accountSessions,
  disputes,
  payouts,
];
