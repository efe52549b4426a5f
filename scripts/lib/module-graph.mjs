// The module graph of the built package, read from dist/ the way a runtime loads it: relative imports, and the
// package's own `#` imports resolved through package.json "imports" under a given set of conditions.
// Used to prove that the default build (what workerd, browsers and edge bundlers load) reaches no Node built-in.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

// `from '...'`, `import '...'`, `import('...')` and `require('...')` with a literal specifier, as tsup emits them.
const SPECIFIER = /\b(from|import|require)\s*\(?\s*(['"])([^'"\n]+)\2/g;
const BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/** The literal specifiers a built file imports, each with the condition a resolver applies to it. */
export function importsOf(source) {
  return [...source.matchAll(SPECIFIER)].map((match) => ({
    specifier: match[3],
    condition: match[1] === 'require' ? 'require' : 'import',
  }));
}

/** Resolves a package.json conditions object (nested, in key order) for a set of active conditions. */
export function resolveConditions(target, conditions) {
  if (typeof target === 'string' || target === null || target === undefined) return target ?? undefined;
  for (const [key, value] of Object.entries(target)) {
    if (key === 'default' || conditions.includes(key)) {
      const resolved = resolveConditions(value, conditions);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

/**
 * Walks the graph from `entry` (a path relative to `root`) under `conditions` (besides import/require, which follow
 * each import). Returns `{ files, external }`: the package files loaded and the bare specifiers imported, each with
 * the file that imports it. Throws when a relative or `#` import does not resolve to a file.
 */
export function moduleGraph(root, pkg, entry, conditions) {
  const files = new Set();
  const external = [];
  const pending = [path.normalize(entry)];
  while (pending.length > 0) {
    const file = pending.pop();
    if (files.has(file)) continue;
    files.add(file);
    for (const { specifier, condition } of importsOf(readFileSync(path.join(root, file), 'utf8'))) {
      let target;
      if (specifier.startsWith('.')) target = path.join(path.dirname(file), specifier);
      else if (specifier.startsWith('#')) {
        const mapped = resolveConditions(pkg.imports?.[specifier], [...conditions, condition]);
        if (mapped === undefined) throw new Error(`${file}: "${specifier}" has no target under ${conditions.join(', ')}`);
        target = path.normalize(mapped);
      } else {
        external.push({ specifier, from: file });
        continue;
      }
      if (!existsSync(path.join(root, target))) throw new Error(`${file}: "${specifier}" resolves to missing ${target}`);
      pending.push(target);
    }
  }
  return { files: [...files].sort(), external };
}

/** Whether a bare specifier names a Node built-in, with (`node:http`) or without (`http`) the prefix. */
export function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
}
