// TypeScript with moduleResolution bundler: type-checked with tsc, then bundled with esbuild and run.
import Stripe from 'stripe';
import {
  type EmbeddedCheckoutResult,
  Marketplace,
  computeCommission,
  fixedFee,
  formatAmount,
  memoryStorage,
  percentagePlusFixed,
} from 'stripe-marketplace';
import { modules, subpathCount } from './subpaths.generated';

const expect = (condition: boolean, message: string): void => {
  if (!condition) throw new Error(`ts-bundler consumer: ${message}`);
};

for (const [subpath, namespace] of Object.entries(modules)) {
  expect(Object.keys(namespace).length > 0, `bundled import of "${subpath}" has no exports`);
}
expect(Object.keys(modules).length === subpathCount, 'every subpath bundled');

const market = new Marketplace({ stripe: new Stripe('sk_test_x'), storage: memoryStorage(), commission: fixedFee({ gbp: 30 }) });
export type Result = EmbeddedCheckoutResult;
export const create = (amount: number): Promise<EmbeddedCheckoutResult> =>
  market.createCheckout({ orderId: `o_${amount}`, vendorId: 'v1', amount, currency: 'gbp' });

const fee = await computeCommission(percentagePlusFixed(2.9, { usd: 30 }), {
  amount: 1000,
  currency: 'usd',
  vendorId: 'v1',
  accountId: 'acct_1',
  orderId: 'o1',
  metadata: {},
});
expect(fee === 59, `2.9 % + 30 on 1000 usd is 59, got ${fee}`);
expect(formatAmount(1760, 'gbp') === '17.60 GBP', 'formatAmount');
console.log(`ts-bundler: ${subpathCount} subpath(s) bundled; commission ok`);
