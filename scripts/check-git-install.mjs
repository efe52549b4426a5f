#!/usr/bin/env node
// Installs the package the way a user does before the first release: `npm install git+file://<this repository>#<HEAD>`
// into an empty project outside the repository. npm clones the commit, installs its dev dependencies, runs `prepare`
// (the build) and packs the result, so this proves that a fresh clone builds and that the installed package imports,
// every subpath of the exports map. Uncommitted changes are not part of the clone: commit first.
// Runs offline (the npm cache that `npm ci` filled), falling back to the registry when the cache is cold.
// Usage: node scripts/check-git-install.mjs [--keep]
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { publicSubpaths, readPackage, root, run, runAsync, specifierFor } from './lib/package.mjs';

async function npmInstall(cwd, specs) {
  const args = ['install', ...specs, '--no-audit', '--no-fund', '--no-package-lock'];
  try {
    await runAsync('npm', [...args, '--offline'], { cwd });
  } catch (error) {
    console.warn(`git install: --offline failed, retrying with --prefer-offline\n${String(error.message).split('\n')[0]}`);
    await runAsync('npm', [...args, '--prefer-offline'], { cwd });
  }
}

export async function checkGitInstall({ keep = false } = {}) {
  const pkg = readPackage();
  const commit = run('git', ['rev-parse', 'HEAD']).trim();
  if (run('git', ['status', '--porcelain', '--untracked-files=no']).trim() !== '') {
    console.warn(`git install: the working tree has uncommitted changes; checking the commit ${commit.slice(0, 12)} only`);
  }
  const project = mkdtempSync(path.join(tmpdir(), 'stripe-marketplace-git-install-'));
  const started = performance.now();
  try {
    writeFileSync(path.join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
    const stripe = pkg.devDependencies?.stripe ?? pkg.peerDependencies.stripe;
    await npmInstall(project, [`git+file://${root}#${commit}`, `stripe@${stripe}`]);
    const installed = path.join(project, 'node_modules', pkg.name);
    const missing = ['dist/index.js', 'dist/index.d.ts', 'LICENSE', 'README.md'].filter(
      (file) => !existsSync(path.join(installed, file)),
    );
    if (missing.length > 0) throw new Error(`the package installed from git lacks ${missing.join(', ')}`);
    const imports = publicSubpaths(pkg).map((subpath) => specifierFor(subpath, pkg));
    const script = [
      'const names = [];',
      ...imports.map((specifier) => `names.push(...Object.keys(await import(${JSON.stringify(specifier)})));`),
      `const { Marketplace } = await import(${JSON.stringify(pkg.name)});`,
      "if (typeof Marketplace !== 'function') throw new Error('Marketplace is not exported');",
      'console.log(names.length);',
    ].join('\n');
    writeFileSync(path.join(project, 'index.mjs'), `${script}\n`);
    const exported = (await runAsync(process.execPath, ['index.mjs'], { cwd: project })).trim();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `git install: ${commit.slice(0, 12)} installed from git+file and built by prepare in ${seconds} s; ` +
        `${imports.length} subpaths import (${exported} exports)`,
    );
  } finally {
    if (keep) console.log(`kept ${project}`);
    else rmSync(project, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkGitInstall({ keep: process.argv.includes('--keep') });
}
