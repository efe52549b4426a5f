#!/usr/bin/env node
// Builds dist/ with tsup, unless it was already built from exactly the current inputs (the files of src/, the build
// and TypeScript configs, package.json and the lockfile, compared by content). `prepare` (npm ci, npm install, a git
// install), `prepack` and `npm test` all call it, so a fresh checkout builds once and later steps reuse that build.
// Usage: node scripts/build.mjs [--force]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { missingExportTargets, readPackage, root } from './lib/package.mjs';

const INPUTS = ['src', 'tsup.config.ts', 'tsconfig.json', 'package.json', 'package-lock.json'];
const STAMP = path.join(root, 'node_modules', '.cache', 'stripe-marketplace', 'build-inputs.sha256');

function files(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((dirent) => dirent.isFile())
    .map((dirent) => path.relative(root, path.join(dirent.parentPath, dirent.name)));
}

/** One hash over the path and content of every input file, in a stable order. */
export function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files).sort()) {
    hash.update(`${file.split(path.sep).join('/')}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const current = inputsHash();
const upToDate =
  !process.argv.includes('--force') &&
  existsSync(STAMP) &&
  readFileSync(STAMP, 'utf8') === current &&
  missingExportTargets(readPackage()).length === 0;

if (upToDate) {
  console.log('dist/ is up to date with src/ (node scripts/build.mjs --force rebuilds)');
} else {
  rmSync(STAMP, { force: true });
  const tsup = spawnSync(path.join(root, 'node_modules', '.bin', 'tsup'), [], { cwd: root, stdio: 'inherit' });
  if (tsup.error) throw tsup.error;
  if (tsup.status !== 0) process.exit(tsup.status ?? 1);
  mkdirSync(path.dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, current);
}
