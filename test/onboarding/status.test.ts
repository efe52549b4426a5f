import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { canReceiveTransfers, vendorStateFromAccount } from '../../src/core/vendor-status.js';
import { account, activeAccount, requirements as req } from '../helpers.js';

describe('vendorStateFromAccount', () => {
  it.each<[string, Partial<Stripe.Account>, string]>([
    ['a new account', {}, 'onboarding'],
    [
      'submitted, being verified',
      {
        details_submitted: true,
        capabilities: { transfers: 'pending' },
        requirements: req({
          pending_verification: ['individual.id_number'],
          disabled_reason: 'requirements.pending_verification',
        }),
      },
      'pending_verification',
    ],
    [
      'active, with information due soon',
      {
        details_submitted: true,
        payouts_enabled: true,
        capabilities: { transfers: 'active' },
        requirements: req({ currently_due: ['individual.verification.document'], current_deadline: 1_800_000_000 }),
      },
      'action_required',
    ],
    [
      'disabled for past-due requirements',
      {
        details_submitted: true,
        capabilities: { transfers: 'inactive' },
        requirements: req({ past_due: ['external_account'], disabled_reason: 'requirements.past_due' }),
      },
      'restricted',
    ],
    [
      'paused by the platform',
      {
        details_submitted: true,
        capabilities: { transfers: 'inactive' },
        requirements: req({ disabled_reason: 'platform_paused' }),
      },
      'restricted',
    ],
    [
      'rejected for fraud',
      {
        details_submitted: true,
        capabilities: { transfers: 'inactive' },
        requirements: req({ disabled_reason: 'rejected.fraud' }),
      },
      'rejected',
    ],
    [
      'active, verifying a document in the background',
      {
        details_submitted: true,
        payouts_enabled: true,
        capabilities: { transfers: 'active' },
        requirements: req({ pending_verification: ['individual.verification.document'] }),
      },
      'active',
    ],
    [
      'without the transfers capability',
      { details_submitted: true, payouts_enabled: true, capabilities: {}, requirements: req({}) },
      'restricted',
    ],
  ])('maps %s', (_label, overrides, status) => {
    expect(vendorStateFromAccount(account(overrides)).status).toBe(status);
  });

  it('maps a fully enabled account to active with every field', () => {
    expect(vendorStateFromAccount(activeAccount())).toEqual({
      status: 'active',
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      transfersCapability: 'active',
      requirements: {
        currentlyDue: [],
        pastDue: [],
        eventuallyDue: [],
        pendingVerification: [],
        disabledReason: null,
        currentDeadline: null,
      },
    });
  });

  it('survives an account without requirements or capabilities (an OAuth Standard account)', () => {
    const state = vendorStateFromAccount({ id: 'acct_x', object: 'account' } as Stripe.Account);
    expect(state).toMatchObject({ status: 'onboarding', transfersCapability: 'unrequested', chargesEnabled: false });
  });

  it('allows transfers only when the capability is active and the vendor is not cut off', () => {
    const active = vendorStateFromAccount(activeAccount());
    expect(canReceiveTransfers(active)).toBe(true);
    expect(canReceiveTransfers({ ...active, transfersCapability: 'pending' })).toBe(false);
    expect(canReceiveTransfers({ ...active, status: 'disconnected' })).toBe(false);
  });
});
