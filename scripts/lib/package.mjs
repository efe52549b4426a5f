// Shared helpers for the packaging checks and benchmarks. Everything is derived from package.json,
// so a new subpath in `exports` is packed, linted and consumed without touching these scripts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export function readPackage() {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
}

/** The code subpaths of the exports map (`.`, `./express`, ...): those with `import`/`require` conditions. */
export function publicSubpaths(pkg = readPackage()) {
  return Object.entries(exportsOf(pkg))
    .filter(([, target]) => typeof target === 'object' && target !== null)
    .map(([subpath]) => subpath);
}

/** The file subpaths of the exports map (`./package.json`, `./postgres/schema.sql`, ...): plain string targets. */
export function fileSubpaths(pkg = readPackage()) {
  return Object.entries(exportsOf(pkg))
    .filter(([, target]) => typeof target === 'string')
    .map(([subpath]) => subpath);
}

function exportsOf(pkg) {
  if (typeof pkg.exports !== 'object' || pkg.exports === null) throw new Error('package.json has no exports map');
  return pkg.exports;
}

/** The import specifier a user writes for a subpath: `.` -> `stripe-marketplace`, `./express` -> `stripe-marketplace/express`. */
export function specifierFor(subpath, pkg = readPackage()) {
  return subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
}

/** A stable identifier for a subpath, usable as a variable or file name: `.` -> `root`, `./express` -> `express`. */
export function identifierFor(subpath) {
  return subpath === '.' ? 'root' : subpath.slice(2).replace(/[^A-Za-z0-9]+/g, '_');
}

/**
 * Checks the shape of each exports entry: `import` and `require` conditions, each with `types` first
 * (.d.ts for import, .d.cts for require) and a `default` (.js for import, .cjs for require).
 * Returns a list of problems (empty when the map is right).
 */
export function exportsMapProblems(pkg = readPackage()) {
  const problems = [];
  const expected = {
    import: { types: '.d.ts', default: '.js' },
    require: { types: '.d.cts', default: '.cjs' },
  };
  for (const subpath of fileSubpaths(pkg)) {
    const target = pkg.exports[subpath];
    if (/\.[cm]?[jt]sx?$/.test(target)) {
      problems.push(`exports["${subpath}"] is code (${target}): give it import and require conditions with types`);
    }
  }
  for (const [subpath, entry] of Object.entries(exportsOf(pkg))) {
    if (typeof entry !== 'string' && (typeof entry !== 'object' || entry === null)) {
      problems.push(`exports["${subpath}"] must be a file path or an object with import and require conditions`);
    }
  }
  for (const subpath of publicSubpaths(pkg)) {
    const entry = pkg.exports[subpath];
    for (const [condition, files] of Object.entries(expected)) {
      const target = entry[condition];
      if (typeof target !== 'object' || target === null) {
        problems.push(`exports["${subpath}"].${condition} is missing (it needs { types, default })`);
        continue;
      }
      if (Object.keys(target)[0] !== 'types') {
        problems.push(`exports["${subpath}"].${condition}.types must come first: resolvers take the first matching condition`);
      }
      for (const [key, extension] of Object.entries(files)) {
        const file = target[key];
        if (typeof file !== 'string' || !file.startsWith('./dist/') || !file.endsWith(extension)) {
          problems.push(
            `exports["${subpath}"].${condition}.${key} must be a ./dist/*${extension} file, got ${JSON.stringify(file)}`,
          );
        }
      }
    }
  }
  return problems;
}

/** Runs a command; throws with its output when its exit status is not in `accept` (default [0]). Returns stdout. */
export function run(command, args, { accept = [0], ...options } = {}) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw result.error;
  if (!accept.includes(result.status)) {
    const output = [result.stdout, result.stderr].filter(Boolean).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status}) in ${options.cwd ?? root}\n${output}`);
  }
  return result.stdout;
}

/** `run`, without blocking: resolves with stdout, rejects with the output when the exit status is not in `accept`. */
export function runAsync(command, args, { accept = [0], ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, ...options });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      if (accept.includes(status)) resolve(stdout);
      else {
        const output = [stdout, stderr].filter(Boolean).join('\n');
        reject(new Error(`${command} ${args.join(' ')} failed (exit ${status}) in ${options.cwd ?? root}\n${output}`));
      }
    });
  });
}

/** The executable of a dev dependency in the repository's node_modules/.bin. */
export function bin(name) {
  return path.join(root, 'node_modules', '.bin', name);
}

/** The files the exports map points at that do not exist, as `file (exports["subpath"])`. */
export function missingExportTargets(pkg = readPackage()) {
  const targets = [
    ...publicSubpaths(pkg).flatMap((subpath) =>
      Object.values(pkg.exports[subpath]).flatMap((condition) => Object.values(condition).map((file) => [subpath, file])),
    ),
    ...fileSubpaths(pkg).map((subpath) => [subpath, pkg.exports[subpath]]),
  ];
  return targets
    .filter(([, file]) => !existsSync(path.join(root, file)))
    .map(([subpath, file]) => `${file} (exports["${subpath}"])`);
}

/**
 * Packs the package (from the existing dist/, without running lifecycle scripts) into `destination`,
 * which is emptied first. Returns `{ tarball, files, sizes, size, unpackedSize }` (sizes in bytes; `sizes` per file, unpacked).
 */
export function packTarball(destination = path.join(root, 'test-artifacts', 'package')) {
  rmSync(destination, { recursive: true, force: true });
  mkdirSync(destination, { recursive: true });
  const [missing] = missingExportTargets(readPackage());
  if (missing) throw new Error(`${missing} does not exist: run \`npm run build\` first`);
  const [info] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination]));
  return {
    tarball: path.join(destination, info.filename),
    files: info.files.map((file) => file.path),
    sizes: Object.fromEntries(info.files.map((file) => [file.path, file.size])),
    size: info.size,
    unpackedSize: info.unpackedSize,
  };
}
