import { isMarketplaceError, type MarketplaceError } from '../../src/index.js';

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
