// CommonJS consumer: `require` the package.
const Stripe = require('stripe');
const { Marketplace, memoryStorage, percentage, computeCommission, isMarketplaceError } = require('stripe-marketplace');
const { existsSync } = require('node:fs');
const { files, modules } = require('./subpaths.generated.cjs');

const expect = (condition, message) => {
  if (!condition) throw new Error(`cjs consumer: ${message}`);
};

for (const [subpath, exported] of Object.entries(modules)) {
  expect(Object.keys(exported).length > 0, `require of "${subpath}" has no exports`);
}
for (const specifier of files) {
  expect(existsSync(require.resolve(specifier)), `require.resolve("${specifier}") finds the file`);
}
expect(require.resolve('stripe-marketplace').endsWith('.cjs'), 'require resolves to the CJS build');

const context = { currency: 'jpy', vendorId: 'v', accountId: 'acct_1', orderId: 'o', metadata: {} };
async function main() {
  expect((await computeCommission(percentage(10), { ...context, amount: 5000 })) === 500, 'JPY 5000 at 10 % is 500');
  expect((await computeCommission(percentage(12.5), { ...context, currency: 'gbp', amount: 1004 })) === 126, 'half-up rounding');
  let refused;
  try {
    new Marketplace({ stripe: new Stripe('sk_test_x'), storage: memoryStorage(), commission: percentage(12), comission: 1 });
  } catch (error) {
    refused = error;
  }
  expect(
    isMarketplaceError(refused, 'INVALID_OPTIONS') && refused.message.includes('comission'),
    `unknown option named: ${refused}`,
  );
  console.log(
    `cjs: ${Object.keys(modules).length} subpath(s) required, ${files.length} file(s) resolved; commission and option checks ok`,
  );
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
