/** Node-only file I/O of `createSandbox({ file })`, imported dynamically so that the sandbox itself stays runtime-neutral. */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomToken } from '../../util/random.js';

/** The file's text, or null when it does not exist yet. */
export async function readStateFile(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
}

/** Replaces the file atomically: writes a temporary file next to it, then renames it over the old one. */
export async function writeStateFile(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomToken(6).replace(/[^\w]/g, 'x')}.tmp`;
  await writeFile(temp, text, 'utf8');
  await rename(temp, file);
}
