import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, expect, it, vi } from 'vitest';
import { tempDataDir } from './harness.js';

/**
 * `npm run example:*` as a user runs it (`node examples/start.mjs <framework>`: tsx's loader on the sources). The start-up time is
 * measured and printed, not asserted: on a loaded machine any fixed bound would fail for reasons of its own. What is
 * asserted is how the time is kept short: the server listens and answers while PGlite opens, and a new data folder
 * starts as a copy of the template database instead of running initdb again.
 */

vi.setConfig({ testTimeout: 180_000 });

interface Started {
  child: ChildProcess;
  baseUrl: string;
  /** From spawn to the "open http://..." line. */
  listeningMs: number;
  /** From spawn to the "storage ready" line. */
  readyMs: number;
  /** How the data folder was set up: existing, template or new template. */
  origin: string;
}

const running: ChildProcess[] = [];
const folders: { remove(): void }[] = [];

afterEach(async () => {
  for (const child of running.splice(0)) await stop(child);
  for (const folder of folders.splice(0)) folder.remove();
});

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

function start(framework: 'express' | 'fastify', dataDir: string): Promise<Started> {
  const { STRIPE_SECRET_KEY: _key, DATABASE_URL: _db, ...env } = process.env;
  const began = performance.now();
  const child = spawn(process.execPath, ['examples/start.mjs', framework], {
    env: { ...env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let baseUrl = '';
    let listeningMs = 0;
    child.stderr?.on('data', (chunk) => {
      err += String(chunk);
    });
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      const open = /open (http:\/\/\S+)/.exec(out);
      if (open && !baseUrl) {
        baseUrl = open[1] as string;
        listeningMs = performance.now() - began;
      }
      const ready = /storage ready \(([^)]+)\)/.exec(out);
      if (baseUrl && ready) {
        resolve({ child, baseUrl, listeningMs, readyMs: performance.now() - began, origin: ready[1] as string });
      }
    });
    child.once('exit', (code) => reject(new Error(`the example exited (${code}) before it was ready:\n${out}\n${err}`)));
  });
}

it('starts both examples in a new data folder from the template database, serving while storage opens', async () => {
  const figures: string[] = [];
  const report = (label: string, s: Started) =>
    figures.push(
      `${label.padEnd(36)} listening ${Math.round(s.listeningMs)} ms, storage ready ${Math.round(s.readyMs)} ms (${s.origin})`,
    );

  // The first start ever on this machine makes the template (initdb once); every later new folder copies it.
  const first = tempDataDir();
  folders.push(first);
  const warm = await start('express', first.dir);
  report('express, first folder', warm);
  expect(['template', 'new template']).toContain(warm.origin);
  await stop(warm.child);

  for (const framework of ['express', 'fastify'] as const) {
    const folder = tempDataDir();
    folders.push(folder);
    const fresh = await start(framework, folder.dir);
    report(`${framework}, new data folder`, fresh);
    expect(fresh.origin).toBe('template');
    const home = await fetch(`${fresh.baseUrl}/`);
    expect(home.status).toBe(200);
    await stop(fresh.child);

    const again = await start(framework, folder.dir);
    report(`${framework}, restart`, again);
    expect(again.origin).toBe('existing');
    expect((await fetch(`${again.baseUrl}/`)).status).toBe(200);
    await stop(again.child);
  }
  process.stdout.write(`example start-up (target: under 5 s):\n  ${figures.join('\n  ')}\n`);
});

it('answers a request made while PGlite is still opening, once storage is ready', async () => {
  const folder = tempDataDir();
  folders.push(folder);
  const { STRIPE_SECRET_KEY: _key, DATABASE_URL: _db, ...env } = process.env;
  const child = spawn(process.execPath, ['examples/start.mjs', 'express'], {
    env: { ...env, DATA_DIR: folder.dir, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      const open = /open (http:\/\/\S+)/.exec(out);
      if (open) resolve(open[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}): ${out}`)));
  });
  // At once, before waiting for anything: the platform page reads storage, so it waits for it rather than failing.
  const page = await fetch(`${baseUrl}/platform`);
  expect(page.status).toBe(200);
  await expect.poll(() => out, { timeout: 60_000 }).toMatch(/storage ready/);
});
