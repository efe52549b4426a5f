/**
 * PGlite for the examples, without paying for `initdb` in every new data folder.
 *
 * Creating a PGlite database runs PostgreSQL's initdb in WebAssembly: 4 to 8 s, most of a first start. Opening an
 * existing one takes well under a second. So the first database ever made is made once, with the schema applied, in a
 * template folder (`node_modules/.cache/stripe-marketplace-examples/`), and every new data folder starts as a copy of it:
 * a plain file copy of a cleanly closed PostgreSQL data directory, which PostgreSQL supports. The template's name holds
 * the PGlite version and a hash of the schema, so a new PGlite or a new schema makes a new template; `migrate()` still
 * runs on every start, so an older copy is brought up to date as any database would be.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { DEFAULT_TABLE_PREFIX, type PostgresStorage, postgresSchemaSql, postgresStorage } from 'stripe-marketplace/postgres';

/** Where templates are kept: beside the installed packages, ignored by git, removed with `node_modules`. */
export const TEMPLATE_ROOT = fileURLToPath(new URL('../../node_modules/.cache/stripe-marketplace-examples/', import.meta.url));

function pgliteVersion(): string {
  const root = fileURLToPath(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url));
  try {
    return (JSON.parse(readFileSync(root, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The template folder for this PGlite version and this schema. */
export function templateDir(root = TEMPLATE_ROOT): string {
  const schema = createHash('sha256').update(postgresSchemaSql()).digest('hex').slice(0, 12);
  return join(root, `pglite-${pgliteVersion()}-${schema}`);
}

const isDatabase = (dir: string) => existsSync(join(dir, 'PG_VERSION'));

/** Makes the template once: initdb and the schema in a folder of its own, closed, then renamed into place. */
async function makeTemplate(target: string): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  const staging = `${target}.${process.pid}.${Date.now()}`;
  mkdirSync(dirname(target), { recursive: true });
  const db = new PGlite(staging);
  try {
    await postgresStorage({ client: db }).migrate();
  } finally {
    await db.close();
  }
  try {
    renameSync(staging, target);
  } catch {
    // Another process made it first (tests start several examples at once): theirs is as good.
    rmSync(staging, { recursive: true, force: true });
    if (!isDatabase(target)) throw new Error(`could not create the PGlite template in ${target}`);
  }
}

/**
 * Copies a folder's files into `to`, all at once: about 1 000 small files and 40 MB, three to four times faster than
 * `fs.cp` (which copies one file at a time), and asynchronous, so the copy does not hold the event loop while the
 * server starts.
 */
async function copyTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true, recursive: true });
  // `parentPath` since Node 20.12 (and 18.20); `path` before it.
  const relative = (e: (typeof entries)[number]) =>
    join((e as { parentPath?: string }).parentPath ?? (e as unknown as { path: string }).path, e.name).slice(from.length);
  await mkdir(to, { recursive: true });
  const dirs = entries.filter((e) => e.isDirectory()).map(relative);
  for (const dir of dirs.sort()) await mkdir(join(to, dir), { recursive: true });
  const files = entries.filter((e) => e.isFile()).map(relative);
  // PG_VERSION last: a copy cut short leaves a folder without it, which the next start copies again.
  const marker = files.filter((file) => file === '/PG_VERSION');
  await Promise.all(files.filter((file) => file !== '/PG_VERSION').map((file) => copyFile(join(from, file), join(to, file))));
  for (const file of marker) await copyFile(join(from, file), join(to, file));
}

export interface OpenedPglite {
  db: PGlite;
  /** How the data folder was set up: an existing database, a copy of the template, or a new template first. */
  origin: 'existing' | 'template' | 'new template';
}

/** Opens the PGlite database in `dataDir`, creating it from the template when the folder has none. */
export async function openPglite(dataDir: string, options: { templateRoot?: string } = {}): Promise<OpenedPglite> {
  let origin: OpenedPglite['origin'] = 'existing';
  if (!isDatabase(dataDir)) {
    const template = templateDir(options.templateRoot);
    origin = 'template';
    if (!isDatabase(template)) {
      await makeTemplate(template);
      origin = 'new template';
    }
    mkdirSync(dataDir, { recursive: true });
    await copyTree(template, dataDir);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(dataDir);
  await db.waitReady;
  return { db, origin };
}

const STORAGE_METHODS = [
  'get',
  'insert',
  'update',
  'list',
  'resolve',
  'consume',
  'claimEvent',
  'claimNextEvents',
  'settleEvent',
  'listEvents',
  'prune',
  'transaction',
  'migrate',
  'query',
] as const satisfies readonly (keyof PostgresStorage)[];

/**
 * A storage whose every call waits for `ready()` (the database opened and migrated) and then runs on it: the
 * server can listen while PGlite opens, and a request that comes meanwhile waits instead of failing. If opening
 * fails, every call fails with that error.
 */
export function deferredStorage(ready: () => Promise<PostgresStorage>, tablePrefix = DEFAULT_TABLE_PREFIX): PostgresStorage {
  const storage: Record<string, unknown> = { tablePrefix };
  for (const name of STORAGE_METHODS) {
    storage[name] = async (...args: unknown[]) => {
      const real = await ready();
      return (real[name] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return storage as unknown as PostgresStorage;
}
