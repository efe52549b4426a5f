import { type CommissionContext, isMarketplaceError, type MarketplaceError } from '../../src/index.js';

/** The context a policy sees for `amount` in `currency` (order_1 of driver_42 on acct_1), with `extra` on top. */
export function commissionContext(amount: number, currency = 'gbp', extra: Partial<CommissionContext> = {}): CommissionContext {
  return { amount, currency, vendorId: 'driver_42', accountId: 'acct_1', orderId: 'order_1', metadata: {}, ...extra };
}

/** The MarketplaceError that `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): MarketplaceError {
  try {
    fn();
  } catch (error) {
    if (isMarketplaceError(error)) return error;
    throw error;
  }
  throw new Error('expected a MarketplaceError');
}

/** The MarketplaceError that `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function rejected(promise: Promise<unknown>): Promise<MarketplaceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMarketplaceError(error)) throw new Error(`expected a MarketplaceError, got ${String(error)}`);
  return error;
}
