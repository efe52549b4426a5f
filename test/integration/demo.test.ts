import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function runDemo(env: Record<string, string | undefined>) {
  const { STRIPE_SECRET_KEY: _ignored, ...base } = process.env;
  return spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/demo.ts'], {
    encoding: 'utf8',
    env: { ...base, ...env },
    timeout: 60_000,
  });
}

describe('npm run demo', () => {
  it('without a key: tells the story against the sandbox and exits 0', () => {
    const result = runDemo({});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('against the offline sandbox');
    expect(out).toContain('driver status: active');
    expect(out).toMatch(/application fee £2\.40, driver £17\.60/);
    expect(out).toMatch(/webhook payment_intent\.succeeded -> 200 processed/);
    expect(out).toMatch(/platform fee: +£2\.40/);
    expect(out).toMatch(/driver receives: +£17\.60/);
    expect(out).toMatch(/the driver gives back £4\.40; the platform returns £0\.60 of its fee/);
    expect(out).toMatch(/the same call again returns the same refund/);
    expect(out).toMatch(/webhook refund\.created -> 200 processed/);
    expect(out).toMatch(/partially_refunded, £5\.00 refunded/);
    expect(out).toMatch(/platform +GBP +£2\.40 +£1\.80 +-£0\.60/);
    expect(out).toMatch(/driver \(acct_\w+\) +GBP +£17\.60 +£13\.20 +-£4\.40/);
  });

  it('refuses a live key with a clear message and a non-zero exit', () => {
    const result = runDemo({ STRIPE_SECRET_KEY: 'sk_live_123' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('demo failed: STRIPE_SECRET_KEY must be a test-mode key');
    expect(result.stdout).toBe('');
  });
});
