// TypeScript with moduleResolution node16, CJS side: resolves the `require` condition (.d.cts).
import Stripe = require('stripe');
import lib = require('stripe-marketplace');
import generated = require('./subpaths.generated.cjs');

const market = new lib.Marketplace({
  stripe: new Stripe('sk_test_x'),
  storage: lib.memoryStorage(),
  commission: lib.percentage(12),
});
export const fee: Promise<number> = lib.computeCommission(lib.percentage(10), {
  amount: 5000,
  currency: 'jpy',
  vendorId: 'v1',
  accountId: 'acct_1',
  orderId: 'o1',
  metadata: {},
});
export const storage: lib.MarketplaceStorage = market.storage;
export const count: number = generated.subpathCount;
