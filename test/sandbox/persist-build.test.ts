import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm test` builds before it runs the tests.
const DIST = join(dirname(new URL(import.meta.url).pathname), '../../dist');

/** Every module `entry` imports statically (not through `import()`), and the specifiers they import. */
function staticGraph(entry: string): { files: string[]; specifiers: string[] } {
  const files: string[] = [];
  const specifiers: string[] = [];
  const visit = (file: string) => {
    if (files.includes(file)) return;
    files.push(file);
    const source = readFileSync(join(DIST, file), 'utf8');
    for (const [, spec] of source.matchAll(/^(?:import|export)[^'"]*? from ["']([^"']+)["'];?$/gm)) {
      if (spec!.startsWith('./')) visit(spec!.slice(2));
      else specifiers.push(spec!);
    }
  };
  visit(entry);
  return { files, specifiers };
}

describe('createSandbox({ file }) in the build', () => {
  it('keeps node:* out of what stripe-marketplace/testing loads up front (it runs on runtimes without Node APIs)', () => {
    const { files, specifiers } = staticGraph('testing.js');
    expect(files.length).toBeGreaterThan(1);
    const builtin = (s: string) => s.startsWith('node:') || builtinModules.includes(s);
    expect(specifiers.filter(builtin)).toEqual([]);
    const testing = readFileSync(join(DIST, 'testing.js'), 'utf8');
    const chunk = /import\(["']\.\/(persist-node-[\w-]+\.js)["']\)/.exec(testing)?.[1];
    expect(chunk).toBeDefined();
    expect(files).not.toContain(chunk);
    // The file I/O is in a chunk of its own, loaded only by createSandbox({ file }).
    expect(staticGraph(chunk!).specifiers.filter(builtin)).toEqual(
      expect.arrayContaining([expect.stringMatching(/fs\/promises$/)]),
    );
  });

  it('saves and restores through the package, as ESM and as CommonJS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-build-'));
    try {
      const file = join(dir, 'stripe.json');
      const step = (load: string, args: string[]) =>
        execFileSync(
          process.execPath,
          [
            ...args,
            `${load}
            (async () => {
              const sandbox = await MOD.createSandbox({ file: ${JSON.stringify(file)} });
              const accounts = await sandbox.stripe().accounts.list();
              await sandbox.stripe().accounts.create({ type: 'express', capabilities: { transfers: { requested: true } } });
              await sandbox.close();
              process.stdout.write(String(accounts.data.length));
            })();`,
          ],
          { encoding: 'utf8' },
        );
      expect(step(`import * as MOD from 'stripe-marketplace/testing';`, ['--input-type=module', '-e'])).toBe('0');
      expect(step(`const MOD = require('stripe-marketplace/testing');`, ['-e'])).toBe('1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
