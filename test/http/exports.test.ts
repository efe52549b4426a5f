import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a script in a fresh Node process inside the package, so that `stripe-marketplace/...` resolves through its exports map. */
function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the express and fastify subpaths of the built package', () => {
  it('is built (npm test builds before it runs vitest)', () => {
    expect(existsSync(`${root}/dist/express.js`), 'run `npm run build` first').toBe(true);
  });

  it('loads as ESM', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "const e = await import('stripe-marketplace/express'); const f = await import('stripe-marketplace/fastify'); console.log(typeof e.webhookHandler, typeof e.keepRawBody, typeof f.stripeWebhooks)",
    ]);
    expect(out).toBe('function function function');
  });

  it('loads as CommonJS', () => {
    const out = run([
      '-e',
      "const e = require('stripe-marketplace/express'); const f = require('stripe-marketplace/fastify'); console.log(typeof e.webhookHandler, typeof e.keepRawBody, typeof f.stripeWebhooks)",
    ]);
    expect(out).toBe('function function function');
  });
});
