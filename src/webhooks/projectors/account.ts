import type Stripe from 'stripe';
import { callStripe } from '../../context.js';
import type { VendorRecord } from '../../core/records.js';
import { disconnectVendor, storeAccountState, vendorByAccount } from '../../services/vendors.js';
import type { StoredRecord } from '../../storage/types.js';
import type { EventRecords, Projector } from './types.js';

interface Prepared {
  readonly vendor: StoredRecord<VendorRecord> | null;
  /** The account as Stripe has it now. */
  readonly account?: Stripe.Account;
}

/** The account an event is about: `event.account` for Connect events, or the account object itself. */
export function accountIdOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as { object?: unknown; id?: unknown };
  return event.account ?? (object.object === 'account' && typeof object.id === 'string' ? object.id : undefined);
}

async function findVendor(ctx: Parameters<Projector['prepare']>[0], event: Stripe.Event) {
  const accountId = accountIdOf(event);
  return accountId ? vendorByAccount(ctx, accountId) : null;
}

/**
 * `account.updated`: the payload may be older than what is stored, so the account is re-read (one re-read
 * of an account at a time within the Marketplace) and what Stripe says now is stored. A disconnected vendor
 * stays disconnected.
 */
export const accountUpdatedProjector: Projector<Prepared> = {
  async prepare(ctx, event) {
    const vendor = await findVendor(ctx, event);
    if (!vendor || vendor.data.status === 'disconnected') return { vendor };
    const accountId = vendor.data.accountId;
    const account = await ctx.accountLocks.run(accountId, () =>
      callStripe('accounts.retrieve', () => ctx.stripe.accounts.retrieve(accountId)),
    );
    return { vendor, account };
  },
  async apply(ctx, _event, { vendor, account }): Promise<EventRecords> {
    if (!vendor) return {};
    if (!account) return { vendor: vendor.data };
    return { vendor: await storeAccountState(ctx, vendor.id, account) };
  },
};

/** `account.application.deauthorized`: the vendor is disconnected, keeping the last state Stripe reported. */
export const deauthorizedProjector: Projector<Prepared> = {
  prepare: async (ctx, event) => ({ vendor: await findVendor(ctx, event) }),
  async apply(ctx, _event, { vendor }): Promise<EventRecords> {
    if (!vendor) return {};
    const updated = await disconnectVendor(ctx, vendor);
    return updated ? { vendor: updated } : {};
  },
};

/** For any other Connect event: the vendor for the handlers. */
export const vendorLookupProjector: Projector<Prepared> = {
  prepare: async (ctx, event) => ({ vendor: await findVendor(ctx, event) }),
  apply: async (_ctx, _event, { vendor }) => (vendor ? { vendor: vendor.data } : {}),
};
