// One fresh process of the import-cost benchmark: `node import-child.mjs alone|both`.
// `stripe-marketplace` resolves through the package's own exports map (self-reference) to dist/.
const started = performance.now();
await import('stripe');
const afterStripe = performance.now();
if (process.argv[2] === 'both') await import('stripe-marketplace');
const done = performance.now();
process.stdout.write(JSON.stringify({ stripe: afterStripe - started, total: done - started }));
