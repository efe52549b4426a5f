import type Stripe from 'stripe';
import type { CapabilityStatus, VendorState, VendorStatus } from './records.js';

/**
 * Maps a Stripe account to the vendor's state. Pure: the same account always gives the same state.
 * `completeOnboarding` and the `account.updated` webhook both use it, so they cannot disagree.
 *
 * The status, first match wins:
 * 1. `rejected` when `requirements.disabled_reason` starts with `rejected.`
 * 2. `onboarding` while `details_submitted` is false
 * 3. `action_required` when requirements are past due or currently due and the account can still
 *    receive transfers; `restricted` when they are and it cannot
 * 4. `pending_verification` while Stripe verifies submitted information (or the capability is pending)
 * 5. `active` when the `transfers` capability is active and payouts are enabled
 * 6. `restricted` otherwise
 */
export function vendorStateFromAccount(account: Stripe.Account): VendorState {
  const requirements = account.requirements ?? null;
  const currentlyDue = [...(requirements?.currently_due ?? [])];
  const pastDue = [...(requirements?.past_due ?? [])];
  const eventuallyDue = [...(requirements?.eventually_due ?? [])];
  const pendingVerification = [...(requirements?.pending_verification ?? [])];
  const disabledReason = requirements?.disabled_reason ?? null;
  const transfersCapability = capabilityStatus(account.capabilities?.transfers);
  const chargesEnabled = account.charges_enabled === true;
  const payoutsEnabled = account.payouts_enabled === true;
  const detailsSubmitted = account.details_submitted === true;
  const transfersActive = transfersCapability === 'active';

  let status: VendorStatus;
  if (disabledReason?.startsWith('rejected')) status = 'rejected';
  else if (!detailsSubmitted) status = 'onboarding';
  else if (pastDue.length > 0 || currentlyDue.length > 0) status = transfersActive ? 'action_required' : 'restricted';
  else if (
    pendingVerification.length > 0 ||
    transfersCapability === 'pending' ||
    disabledReason === 'requirements.pending_verification' ||
    disabledReason === 'under_review'
  ) {
    status = transfersActive && payoutsEnabled ? 'active' : 'pending_verification';
  } else if (transfersActive && payoutsEnabled) status = 'active';
  else status = 'restricted';

  return {
    status,
    chargesEnabled,
    payoutsEnabled,
    detailsSubmitted,
    transfersCapability,
    requirements: {
      currentlyDue,
      pastDue,
      eventuallyDue,
      pendingVerification,
      disabledReason,
      currentDeadline: requirements?.current_deadline ?? null,
    },
  };
}

function capabilityStatus(value: unknown): CapabilityStatus {
  return value === 'active' || value === 'inactive' || value === 'pending' ? value : 'unrequested';
}

/** True when destination charges to this vendor can be created: the transfers capability is active. */
export function canReceiveTransfers(state: Pick<VendorState, 'transfersCapability' | 'status'>): boolean {
  return state.transfersCapability === 'active' && state.status !== 'rejected' && state.status !== 'disconnected';
}
