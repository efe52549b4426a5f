import nock from 'nock';
import Stripe from 'stripe';
import { Marketplace, type MarketplaceOptions } from '../src/index.js';
import { memoryStorage } from '../src/storage/memory.js';
import { percentage } from '../src/core/money/commission.js';
import type { OrderRecord, VendorRecord } from '../src/core/records.js';
import {
  orderRecord as conformanceOrder,
  vendorRecord as conformanceVendor,
  vendorState,
} from '../src/testing/conformance/fixtures.js';

export const API = 'https://api.stripe.com';

export function testStripe(): Stripe {
  return new Stripe('sk_test_123', { maxNetworkRetries: 0 });
}

export function market(overrides: Partial<MarketplaceOptions> = {}) {
  const storage = overrides.storage ?? memoryStorage();
  const m = new Marketplace({ stripe: testStripe(), storage, commission: percentage(12), ...overrides });
  return { market: m, storage };
}

/** A request Stripe received through nock: the decoded form fields and the headers. */
export interface Recorded {
  method: string;
  path: string;
  form: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Intercepts one Stripe call and records it. `reply` is the JSON answer (status 200 unless given).
 */
export function expectStripe(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  reply: unknown,
  status = 200,
  host = API,
): { calls: Recorded[]; scope: nock.Scope } {
  const calls: Recorded[] = [];
  const scope = nock(host)
    .intercept(path, method)
    .reply(function (uri, body) {
      calls.push({
        method,
        path: uri,
        form: Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : '')),
        headers: this.req.headers as Record<string, string | string[] | undefined>,
      });
      return [status, reply as nock.Body];
    });
  return { calls, scope };
}

export function account(overrides: Partial<Stripe.Account> & { id?: string } = {}): Stripe.Account {
  return {
    id: 'acct_1',
    object: 'account',
    charges_enabled: false,
    payouts_enabled: false,
    details_submitted: false,
    capabilities: { transfers: 'inactive' },
    requirements: {
      alternatives: [],
      current_deadline: null,
      currently_due: ['external_account', 'individual.dob.day'],
      disabled_reason: 'requirements.past_due',
      errors: [],
      eventually_due: ['external_account', 'individual.dob.day'],
      past_due: ['external_account', 'individual.dob.day'],
      pending_verification: [],
    },
    metadata: {},
    ...overrides,
  } as Stripe.Account;
}

/** Stripe's requirements of an account with nothing due, with `overrides`. */
export function requirements(overrides: Partial<Stripe.Account.Requirements> = {}): Stripe.Account.Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [],
    disabled_reason: null,
    errors: [],
    eventually_due: [],
    past_due: [],
    pending_verification: [],
    ...overrides,
  };
}

export function activeAccount(id = 'acct_1'): Stripe.Account {
  return account({
    id,
    charges_enabled: true,
    payouts_enabled: true,
    details_submitted: true,
    capabilities: { transfers: 'active' },
    requirements: requirements(),
  });
}

/** The vendor `driver_42` on `acct_1`: active, nothing due (the conformance fixture, with these tests' ids). */
export function vendorRecord(overrides: Partial<VendorRecord> = {}): VendorRecord {
  return conformanceVendor('driver_42', {
    accountId: 'acct_1',
    requirements: { ...vendorState().requirements, eventuallyDue: [] },
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  });
}

/** The pending £20.00 order `o1` of `driver_42` (fee 240), without a PaymentIntent yet. */
export function orderRecord(overrides: Partial<OrderRecord> = {}): OrderRecord {
  return conformanceOrder('o1', { vendorId: 'driver_42', accountId: 'acct_1', createdAt: 1, updatedAt: 1, ...overrides });
}

export function paymentIntent(overrides: Partial<Stripe.PaymentIntent> = {}): Stripe.PaymentIntent {
  return {
    id: 'pi_1',
    object: 'payment_intent',
    amount: 2000,
    currency: 'gbp',
    status: 'requires_payment_method',
    client_secret: 'pi_1_secret_abc',
    application_fee_amount: 240,
    transfer_data: { destination: 'acct_1' },
    metadata: {},
    ...overrides,
  } as Stripe.PaymentIntent;
}
