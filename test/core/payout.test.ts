import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { decidePayout, decideVendorPayout } from '../../src/core/projectors/payout.js';
import type { PayoutRecord, PayoutStatus } from '../../src/core/records.js';
import { PAYOUT_TRANSITIONS } from '../../src/core/transitions.js';
import { vendorRecord } from '../../src/testing/conformance/fixtures.js';

// Payout statuses and "some payouts that fail might initially show as `paid`, then change to `failed`":
// https://docs.stripe.com/api/payouts/object.

const NOW = 1_800_000_000_000;
const vendor = vendorRecord('v1', { accountId: 'acct_v1' });
const payout = (status: string, overrides: Partial<Stripe.Payout> = {}) =>
  ({
    id: 'po_1',
    object: 'payout',
    amount: 1760,
    currency: 'gbp',
    status,
    created: 1_700_000_000,
    arrival_date: 1_700_086_400,
    failure_code: null,
    failure_message: null,
    ...overrides,
  }) as Stripe.Payout;
const STATUSES = Object.keys(PAYOUT_TRANSITIONS) as PayoutStatus[];

describe('decidePayout (pure)', () => {
  it('creates the record with Stripe times in ms', () => {
    expect(decidePayout(null, vendor, payout('pending'), NOW)).toEqual({
      payoutId: 'po_1',
      vendorId: 'v1',
      accountId: 'acct_v1',
      amount: 1760,
      currency: 'gbp',
      status: 'pending',
      arrivalDate: 1_700_086_400_000,
      failureCode: null,
      failureMessage: null,
      createdAt: 1_700_000_000_000,
      updatedAt: NOW,
    });
  });

  it('moves only as PAYOUT_TRANSITIONS allows, for every pair of statuses', () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const stored = decidePayout(null, vendor, payout(from), NOW) as PayoutRecord;
        const next = decidePayout(stored, vendor, payout(to), NOW + 1);
        const status = next?.status ?? from;
        expect(status === to, `${from} -> ${to}`).toBe(from === to || PAYOUT_TRANSITIONS[from].includes(to));
      }
    }
    const failed = decidePayout(null, vendor, payout('failed', { failure_code: 'no_account' }), NOW) as PayoutRecord;
    expect(decidePayout(failed, vendor, payout('paid'), NOW + 1)).toBeNull();
    expect(decidePayout(failed, vendor, payout('failed', { failure_code: 'no_account' }), NOW + 1)).toBeNull();
  });
});

describe('decideVendorPayout (pure)', () => {
  const record = (status: PayoutStatus, id: string, createdAt: number, failureCode: string | null = null): PayoutRecord => ({
    payoutId: id,
    vendorId: 'v1',
    accountId: 'acct_v1',
    amount: 1760,
    currency: 'gbp',
    status,
    arrivalDate: null,
    failureCode,
    failureMessage: failureCode ? 'failed' : null,
    createdAt,
    updatedAt: NOW,
  });

  it('shows a failure, keeps the newer of two, and clears it when a later payout is paid', () => {
    const failedA = decideVendorPayout(vendor, record('failed', 'po_a', 1000, 'no_account'), null);
    expect(failedA?.payoutFailed).toMatchObject({ payoutId: 'po_a', failureCode: 'no_account', payoutCreatedAt: 1000 });
    const shown = failedA as typeof vendor;
    expect(decideVendorPayout(shown, record('failed', 'po_a', 1000, 'no_account'), null)).toBeNull();
    expect(decideVendorPayout(shown, record('failed', 'po_old', 500, 'account_closed'), null)).toBeNull();
    expect(decideVendorPayout(shown, record('failed', 'po_b', 2000, 'account_closed'), null)?.payoutFailed?.payoutId).toBe(
      'po_b',
    );
    // Paid in the same second (or earlier) does not clear it; paid later does.
    expect(decideVendorPayout(shown, record('paid', 'po_c', 1000), null)).toBeNull();
    expect(decideVendorPayout(shown, record('paid', 'po_c', 3000), null)?.payoutFailed).toBeNull();
    expect(decideVendorPayout(shown, record('pending', 'po_d', 3000), null)).toBeNull();
  });

  it('does not show a failure whose event arrives after a later payout was paid', () => {
    expect(decideVendorPayout(vendor, record('failed', 'po_a', 1000, 'no_account'), 2000)).toBeNull();
    expect(decideVendorPayout(vendor, record('failed', 'po_a', 1000, 'no_account'), 1000)?.payoutFailed?.payoutId).toBe('po_a');
  });
});
