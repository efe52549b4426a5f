import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `npm test` builds before it runs the tests; these load the built files through the package's exports map.
const script = `
  const { createSandbox } = MOD;
  const sandbox = createSandbox();
  sandbox.stripe().accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } })
    .then((a) => { process.stdout.write(a.id.slice(0, 5)); return sandbox.close(); });
`;

describe('stripe-marketplace/testing from the build (run npm run build first)', () => {
  it('loads as ESM', () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import * as MOD from 'stripe-marketplace/testing';${script}`],
      { encoding: 'utf8' },
    );
    expect(out).toBe('acct_');
  });

  it('loads as CommonJS', () => {
    const out = execFileSync(process.execPath, ['-e', `const MOD = require('stripe-marketplace/testing');${script}`], {
      encoding: 'utf8',
    });
    expect(out).toBe('acct_');
  });
});
