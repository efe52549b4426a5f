import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBuiltin, moduleGraph, resolveConditions } from '../../scripts/lib/module-graph.mjs';
import { listenOnNode } from '../../src/testing/sandbox/node-server-stub.js';
import { createSandbox } from '../../src/testing/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('#sandbox-node-server: Node’s HTTP server only under the node condition', () => {
  it('package.json maps the node condition to the server and every other runtime to the stub', () => {
    const target = pkg.imports['#sandbox-node-server'];
    expect(resolveConditions(target, ['node', 'import'])).toBe('./dist/sandbox-node-server.js');
    expect(resolveConditions(target, ['node', 'require'])).toBe('./dist/sandbox-node-server.cjs');
    for (const runtime of [['workerd', 'worker', 'browser'], ['browser'], []]) {
      expect(resolveConditions(target, [...runtime, 'import'])).toBe('./dist/sandbox-node-stub.js');
      expect(resolveConditions(target, [...runtime, 'require'])).toBe('./dist/sandbox-node-stub.cjs');
    }
  });

  it('the stub refuses listen() with what to use instead, and the sandbox still answers in-process', async () => {
    const sandbox = createSandbox({ webhooks: { autoDeliver: false } });
    await expect(listenOnNode(sandbox, {})).rejects.toThrow(
      /sandbox\.listen\(\) needs a runtime with node:http .*without the "node" condition.*httpClient: sandbox\.httpClient/,
    );
    const balance = await sandbox.fetch(
      new Request('http://sandbox.local/v1/balance', { headers: { authorization: 'Bearer sk_test_sandbox' } }),
    );
    expect(balance.status).toBe(200);
    sandbox.close();
  });
});

describe('module graph reader (scripts/lib/module-graph.mjs, used by check-package)', () => {
  it('follows relative and # imports under the given conditions and reports bare specifiers', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'module-graph-'));
    writeFileSync(path.join(root, 'entry.js'), "import { a } from './a.js';\nconst s = await import('#server');\n");
    writeFileSync(path.join(root, 'a.js'), "export const a = 1; import 'stripe';\n");
    writeFileSync(path.join(root, 'server.js'), "import { createServer } from 'node:http'; require('zlib');\n");
    writeFileSync(path.join(root, 'stub.js'), 'export const listen = () => {};\n');
    const manifest = { imports: { '#server': { node: './server.js', default: './stub.js' } } };
    const neutral = moduleGraph(root, manifest, 'entry.js', []);
    expect(neutral.files).toEqual(['a.js', 'entry.js', 'stub.js']);
    expect(neutral.external).toEqual([{ specifier: 'stripe', from: 'a.js' }]);
    const node = moduleGraph(root, manifest, 'entry.js', ['node']);
    expect(node.external.map((e) => e.specifier).filter(isBuiltin)).toEqual(['node:http', 'zlib']);
    expect(() => moduleGraph(root, { imports: {} }, 'entry.js', [])).toThrow(/"#server" has no target/);
    rmSync(root, { recursive: true, force: true });
  });
});
