import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * The layer rules of ARCHITECTURE.md are Biome rules (`npm run lint`). These tests put a probe file into
 * each layer (of a scratch copy of the project's layout, with the project's biome.json) and check that Biome
 * refuses a forbidden import there and accepts an allowed one, so a broken rule cannot pass silently.
 */
const biome = resolve('node_modules/.bin/biome');

async function lint(folder: string, source: string): Promise<{ ok: boolean; output: string }> {
  const root = await mkdtemp(join(tmpdir(), 'layers-'));
  const file = join(folder, `probe_${randomUUID().slice(0, 8)}.ts`);
  await copyFile('biome.json', join(root, 'biome.json'));
  await mkdir(dirname(join(root, file)), { recursive: true });
  await writeFile(join(root, file), source);
  try {
    await run(biome, ['lint', '--colors=off', '--vcs-enabled=false', file], { cwd: root });
    return { ok: true, output: '' };
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string; stderr: string };
    return { ok: false, output: stdout + stderr };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('layer import rules', () => {
  it('the core imports nothing with I/O', async () => {
    for (const target of [
      '../storage/types.js',
      '../services/records.js',
      '../webhooks/receive.js',
      '../context.js',
      'node:fs',
    ]) {
      const result = await lint('src/core', `import { x } from '${target}';\nexport const y = x;\n`);
      expect(result.ok, target).toBe(false);
      expect(result.output).toMatch(/noRestrictedImports/);
    }
    expect(await lint('src/core', `import { ORDER } from './records.js';\nexport const y = ORDER;\n`)).toEqual({
      ok: true,
      output: '',
    });
  });

  it('a flow does not import another flow or the webhook pipeline', async () => {
    for (const target of ['./checkout.js', '../webhooks/receive.js', '../marketplace.js']) {
      const result = await lint('src/flows', `import { x } from '${target}';\nexport const y = x;\n`);
      expect(result.ok, target).toBe(false);
      expect(result.output).toMatch(/does not import another flow/);
    }
    expect((await lint('src/flows', `import { getOrder } from '../services/orders.js';\nexport const y = getOrder;\n`)).ok).toBe(
      true,
    );
  });

  it('storage and services never import flows, webhooks or the facade', async () => {
    for (const folder of ['src/storage', 'src/services']) {
      const result = await lint(folder, `import { x } from '../flows/checkout.js';\nexport const y = x;\n`);
      expect(result.ok, folder).toBe(false);
      expect(result.output).toMatch(/sit below the flows/);
    }
  });
}, 60_000);
