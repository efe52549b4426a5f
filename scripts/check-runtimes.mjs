#!/usr/bin/env node
// The runtime matrix: installs the packed package (the tarball `npm pack` makes) into a project outside the repository
// and runs test/runtimes/scenario on Node 20, 22 and 24, Bun, Deno and workerd (without Node compatibility).
//
// Every binary comes from an npm package pinned in test/runtimes/package.json (and its lockfile), installed with
// `npm ci --ignore-scripts --no-bin-links`: the platform packages carry the binary itself, so no install script runs and
// nothing is downloaded from anywhere but the npm registry (or the npm cache).
// A runtime that cannot run fails the check: nothing is skipped.
//
// Run after `npm run build`. Usage: node scripts/check-runtimes.mjs [--only name,name] [--keep]
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { npmInstall } from './check-consumers.mjs';
import { packTarball, readPackage, root, run, runAsync } from './lib/package.mjs';

const RUNTIMES_DIR = path.join(root, 'test', 'runtimes');
const SCENARIO_DIR = path.join(RUNTIMES_DIR, 'scenario');
const installed = (...parts) => path.join(RUNTIMES_DIR, 'node_modules', ...parts);
/** One runtime's time limit: the scenario takes well under a second; starting a runtime a few. */
const TIMEOUT_MS = 120_000;

const nodeRuntime = (major) => ({
  binary: installed(`node${major}`, 'bin', 'node'),
  version: ['--version'],
  run: (binary, dir) => runAsync(binary, ['main.mjs'], { cwd: dir, timeout: TIMEOUT_MS }),
});

/** What each runtime runs; `binary` is where its npm package keeps the executable. */
const RUNTIMES = {
  'node-20': nodeRuntime(20),
  'node-22': nodeRuntime(22),
  'node-24': nodeRuntime(24),
  bun: {
    binary: installed('@oven', 'bun-linux-x64', 'bin', 'bun'),
    version: ['--version'],
    run: (binary, dir) =>
      runAsync(binary, ['run', '--no-install', 'main.mjs'], { cwd: dir, timeout: TIMEOUT_MS, env: quietEnv() }),
  },
  deno: {
    binary: installed('@deno', 'linux-x64-glibc', 'deno'),
    version: ['--version'],
    // node_modules as npm laid it out (no registry access); listen() may bind loopback only.
    run: (binary, dir) =>
      runAsync(binary, ['run', '--node-modules-dir=manual', '--allow-read', '--allow-env', '--allow-net=127.0.0.1', 'main.mjs'], {
        cwd: dir,
        timeout: TIMEOUT_MS,
        env: quietEnv(),
      }),
  },
  workerd: {
    binary: installed('@cloudflare', 'workerd-linux-64', 'bin', 'workerd'),
    version: ['--version'],
    run: async (binary, dir) => {
      await bundleWorker(dir);
      return runAsync(binary, ['test', 'workerd.capnp'], { cwd: dir, timeout: TIMEOUT_MS });
    },
  },
};

function quietEnv() {
  return { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
}

/**
 * Bundles worker.mjs with the package resolved as a Workers bundler resolves it (the `workerd`, `worker` and `browser`
 * conditions, not `node`). `node:*` imports stay imports, so that workerd itself, without Node compatibility, refuses a
 * module that reaches one ('No such module "node:http"') and the run fails.
 */
async function bundleWorker(dir) {
  const esbuild = await import(pathToFileURL(path.join(root, 'node_modules', 'esbuild', 'lib', 'main.js')).href);
  await esbuild.build({
    entryPoints: [path.join(dir, 'worker.mjs')],
    outfile: path.join(dir, 'worker.bundle.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    logLevel: 'error',
  });
}

/** The versions this repository tests the package with: stripe at the devDependency's version. */
function peerSpecs(pkg) {
  return [`stripe@${pkg.devDependencies.stripe}`];
}

/**
 * `npm ci` in test/runtimes, unless node_modules was installed from this very lockfile (a stamp holds its hash) and
 * every binary is there: removing and unpacking some 900 MB again costs most of a minute on this machine.
 */
function installRuntimes() {
  const started = performance.now();
  const lock = createHash('sha256')
    .update(readFileSync(path.join(RUNTIMES_DIR, 'package-lock.json')))
    .digest('hex');
  const stamp = installed('.installed-from-lockfile');
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8') === lock;
  if (current && Object.values(RUNTIMES).every((runtime) => existsSync(runtime.binary))) {
    return 'up to date with test/runtimes/package-lock.json';
  }
  run('npm', ['ci', '--ignore-scripts', '--no-bin-links', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: RUNTIMES_DIR,
  });
  writeFileSync(stamp, lock);
  return `installed (npm ci in test/runtimes) in ${((performance.now() - started) / 1000).toFixed(1)} s`;
}

async function runOne(name, runtime, dir) {
  const started = performance.now();
  let version = 'version unknown';
  try {
    version = run(runtime.binary, runtime.version).split('\n')[0].trim();
    const output = await runtime.run(runtime.binary, dir);
    const report = JSON.parse(
      output
        .trim()
        .split('\n')
        .findLast((line) => line.startsWith('{')) ?? 'null',
    );
    if (report?.order !== 'succeeded') throw new Error(`no report from the scenario:\n${output}`);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    return { name, ok: true, line: `✓ ${name} (${version}): ${JSON.stringify(report)} in ${seconds} s` };
  } catch (error) {
    return { name, ok: false, line: `✖ ${name} (${version}): ${error.message}` };
  }
}

/** Runs `tasks` (functions returning promises) at most `limit` at a time, in order of start. */
async function pool(tasks, limit) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export async function runRuntimes({ only, keep = false } = {}) {
  const started = performance.now();
  const names = only ?? Object.keys(RUNTIMES);
  const unknown = names.filter((name) => !(name in RUNTIMES));
  if (unknown.length > 0) throw new Error(`unknown runtime(s) ${unknown.join(', ')}; known: ${Object.keys(RUNTIMES).join(', ')}`);

  console.log(`runtimes ${installRuntimes()}`);
  const { tarball } = packTarball(path.join(root, 'test-artifacts', 'runtimes-package'));
  const workspace = mkdtempSync(path.join(tmpdir(), 'stripe-marketplace-runtimes-'));
  try {
    cpSync(SCENARIO_DIR, workspace, { recursive: true });
    writeFileSync(path.join(workspace, 'package.json'), '{ "private": true, "type": "module" }\n');
    const installStarted = performance.now();
    await npmInstall(workspace, [tarball, ...peerSpecs(readPackage())]);
    console.log(`packed package installed in ${((performance.now() - installStarted) / 1000).toFixed(1)} s`);

    // Two at a time: this machine has two cores.
    const results = await pool(
      names.map((name) => () => runOne(name, RUNTIMES[name], workspace)),
      2,
    );
    for (const result of results) console.log(`  ${result.line.replace(/\n/g, '\n    ')}`);
    const failed = results.filter((result) => !result.ok).length;
    console.log(
      `runtimes: ${results.length - failed} passed, ${failed} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    return failed === 0;
  } finally {
    if (keep) console.log(`kept ${workspace}`);
    else rmSync(workspace, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = process.argv.indexOf('--only');
  const only = flag === -1 ? undefined : process.argv[flag + 1].split(',');
  if (!(await runRuntimes({ only, keep: process.argv.includes('--keep') }))) process.exit(1);
}
