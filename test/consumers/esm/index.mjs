// ESM consumer: `import` the package (and its CJS build through createRequire), then run a checkout.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import * as lib from 'stripe-marketplace';
import { checkoutSmoke } from './checkout.mjs';
import { files, modules } from './subpaths.generated.mjs';

const require = createRequire(import.meta.url);
const expect = (condition, message) => {
  if (!condition) throw new Error(`esm consumer: ${message}`);
};

for (const [subpath, namespace] of Object.entries(modules)) {
  expect(Object.keys(namespace).length > 0, `import of "${subpath}" has no exports`);
}
for (const specifier of files) {
  expect(existsSync(fileURLToPath(import.meta.resolve(specifier))), `import.meta.resolve("${specifier}") finds the file`);
}
expect(require.resolve('stripe-marketplace').endsWith('.cjs'), 'require resolves to the CJS build');
expect(import.meta.resolve('stripe-marketplace').endsWith('.js'), 'import resolves to the ESM build');

// Both copies loaded at once: errors are recognised by code across copies, as the README promises.
const cjs = require('stripe-marketplace');
expect(cjs.MarketplaceError !== lib.MarketplaceError, 'two copies of the class (ESM and CJS)');
const fromCjs = new cjs.MarketplaceError('ORDER_CONFLICT', 'x');
expect(lib.isMarketplaceError(fromCjs, 'ORDER_CONFLICT'), 'the ESM isMarketplaceError recognises a CJS error');

const { stripeVersion } = await checkoutSmoke({ Stripe, lib });
console.log(
  `esm: ${Object.keys(modules).length} subpath(s) imported, ${files.length} file(s) resolved; checkout ok with stripe ${stripeVersion}`,
);
