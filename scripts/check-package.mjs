#!/usr/bin/env node
// Packs the package once and checks the tarball the way users receive it:
//   1. the exports map's shape (types first; .d.ts for import, .d.cts for require),
//   2. publint (strict),
//   3. @arethetypeswrong/cli with the node16 profile: every subpath must resolve, with the right declaration
//      file, under node16 (ESM and CJS) and bundler resolution,
//   4. the module graph: from every subpath, without the `node` condition, no Node built-in is reached (workerd
//      without Node compatibility, browsers and edge bundlers load that graph); with it, built-ins keep `node:`,
//      and every package.json "imports" target is in the tarball,
//   5. the consumer projects in test/consumers (scripts/check-consumers.mjs),
//   6. alongside them, an install from git of the committed HEAD into an empty project (scripts/check-git-install.mjs).
// Run after `npm run build`. Usage: node scripts/check-package.mjs [--no-consumers] [--no-git-install]
import { runConsumers } from './check-consumers.mjs';
import { checkGitInstall } from './check-git-install.mjs';
import { isBuiltin, moduleGraph, resolveConditions } from './lib/module-graph.mjs';
import { bin, exportsMapProblems, fileSubpaths, packTarball, publicSubpaths, readPackage, root, run } from './lib/package.mjs';

const RESOLUTION_KINDS = {
  'node16-esm': { condition: 'import', types: '.d.ts' },
  'node16-cjs': { condition: 'require', types: '.d.cts' },
  bundler: { condition: 'import', types: '.d.ts' },
};

function fail(title, problems) {
  console.error(`\n✖ ${title}\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}

function moduleGraphProblems(pkg, packedFiles) {
  const problems = [];
  for (const [specifier, target] of Object.entries(pkg.imports ?? {})) {
    for (const conditions of [['node', 'import'], ['node', 'require'], ['import'], ['require']]) {
      const file = resolveConditions(target, conditions);
      if (!file || !packedFiles.includes(file.replace(/^\.\//, ''))) {
        problems.push(`imports["${specifier}"] under ${conditions.join('+')} is ${file ?? 'nothing'}, not a packed file`);
      }
    }
  }
  for (const subpath of publicSubpaths(pkg)) {
    for (const format of ['import', 'require']) {
      const entry = resolveConditions(pkg.exports[subpath], [format]);
      for (const { specifier, from } of moduleGraph(root, pkg, entry, []).external) {
        if (isBuiltin(specifier)) {
          problems.push(`${subpath} (${format}) reaches ${specifier} (in ${from}) without the node condition`);
        }
      }
      for (const { specifier, from } of moduleGraph(root, pkg, entry, ['node']).external) {
        if (isBuiltin(specifier) && !specifier.startsWith('node:')) {
          problems.push(`${from} imports "${specifier}": keep the node: prefix (Deno and workerd need it)`);
        }
      }
    }
  }
  // The split must be real: under `node`, each "imports" entry reaches a built-in (else it needs no condition).
  for (const specifier of Object.keys(pkg.imports ?? {})) {
    const file = resolveConditions(pkg.imports[specifier], ['node', 'import']);
    if (!moduleGraph(root, pkg, file, ['node']).external.some(({ specifier: s }) => isBuiltin(s))) {
      problems.push(`imports["${specifier}"] reaches no Node built-in under the node condition: drop the condition`);
    }
  }
  return [...new Set(problems)];
}

const started = performance.now();
const pkg = readPackage();
const subpaths = publicSubpaths(pkg);

const shapeProblems = exportsMapProblems(pkg);
if (shapeProblems.length > 0) fail('package.json exports map', shapeProblems);

const { tarball, files, size } = packTarball();
console.log(`packed ${tarball} (${(size / 1024).toFixed(1)} KB, ${files.length} files)`);

// publint prints its findings; --strict turns warnings into a failing exit code.
process.stdout.write(run(bin('publint'), ['run', tarball, '--strict']));

// attw: --profile node16 ignores only the legacy node10 resolution. The JSON report is checked here as
// well, so that a subpath attw did not analyse, or types that resolve to the wrong file, also fail.
// Non-code file subpaths (./postgres/schema.sql) have no types to check; the consumers resolve them instead.
const assets = fileSubpaths(pkg).filter((subpath) => !subpath.endsWith('.json'));
const attwArgs = [tarball, '--profile', 'node16', ...(assets.length > 0 ? ['--exclude-entrypoints', ...assets] : [])];
// attw exits 1 when it finds problems; the JSON report says which.
const attw = JSON.parse(run(bin('attw'), [...attwArgs, '--format', 'json'], { accept: [0, 1] }));
const analysis = attw.analysis;
const attwProblems = [];
for (const problem of analysis.problems ?? []) {
  if (problem.resolutionKind === undefined || problem.resolutionKind in RESOLUTION_KINDS) {
    attwProblems.push(`${problem.kind} (${problem.entrypoint ?? ''} ${problem.resolutionKind ?? ''})`);
  }
}
for (const subpath of subpaths) {
  const entrypoint = analysis.entrypoints[subpath];
  if (!entrypoint) {
    attwProblems.push(`attw did not analyse the subpath "${subpath}"`);
    continue;
  }
  for (const [kind, { condition, types }] of Object.entries(RESOLUTION_KINDS)) {
    const resolved = entrypoint.resolutions[kind];
    const typesFile = resolved?.resolution?.fileName;
    const implementation = resolved?.implementationResolution?.fileName;
    const expected = pkg.exports[subpath][condition];
    if (!typesFile?.endsWith(expected.types.slice(1)) || !typesFile.endsWith(types)) {
      attwProblems.push(`${subpath} under ${kind}: types resolve to ${typesFile ?? 'nothing'}, expected ${expected.types}`);
    }
    if (!implementation?.endsWith(expected.default.slice(1))) {
      attwProblems.push(
        `${subpath} under ${kind}: code resolves to ${implementation ?? 'nothing'}, expected ${expected.default}`,
      );
    }
  }
}
if (attwProblems.length > 0) {
  process.stdout.write(run(bin('attw'), [...attwArgs, '--no-color'], { accept: [0, 1] }));
  fail('are the types wrong', attwProblems);
}
console.log(
  `attw: ${subpaths.length} subpath(s) resolve under ${Object.keys(RESOLUTION_KINDS).join(', ')}: ${subpaths.join(', ')}`,
);

const graphProblems = moduleGraphProblems(pkg, files);
if (graphProblems.length > 0) fail('module graph', graphProblems);
console.log(
  `module graph: no Node built-in without the node condition from ${subpaths.join(', ')}; ` +
    `${Object.keys(pkg.imports ?? {}).join(', ')} reach node:* only under it`,
);

// Both run to the end (and clean up) before a failure of either is reported.
const installs = await Promise.allSettled([
  process.argv.includes('--no-consumers') ? undefined : runConsumers(tarball),
  process.argv.includes('--no-git-install') ? undefined : checkGitInstall(),
]);
for (const install of installs) if (install.status === 'rejected') throw install.reason;
console.log(`package checks passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
