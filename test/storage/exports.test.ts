import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { postgresSchemaSql } from '../../src/postgres.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a script in a fresh Node process inside the package, so that `stripe-marketplace/...` resolves through its exports map. */
function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the postgres and testing subpaths of the built package', () => {
  it('load as ESM', () => {
    const out = run([
      '--input-type=module',
      '-e',
      "const p = await import('stripe-marketplace/postgres'); const t = await import('stripe-marketplace/testing'); console.log(typeof p.postgresStorage, typeof p.postgresSchemaSql, typeof t.runStorageConformance)",
    ]);
    expect(out).toBe('function function function');
  });

  it('load as CommonJS without loading pg, PGlite or vitest', () => {
    const out = run([
      '-e',
      "const p = require('stripe-marketplace/postgres'); const t = require('stripe-marketplace/testing'); const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](pg|@electric-sql|vitest)[\\\\/]/.test(f)); console.log(typeof p.postgresStorage, typeof t.runStorageConformance, JSON.stringify(loaded))",
    ]);
    expect(out).toBe('function function []');
  });

  it('ship schema.sql at stripe-marketplace/postgres/schema.sql', () => {
    const file = run(['-e', "console.log(require.resolve('stripe-marketplace/postgres/schema.sql'))"]);
    expect(readFileSync(file, 'utf8')).toBe(postgresSchemaSql());
  });
});
