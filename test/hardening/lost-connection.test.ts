import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DATABASE_URL, SERVER_REQUIRED } from '../storage/helpers.js';

const CHILD = fileURLToPath(new URL('./lost-connection-child.ts', import.meta.url));

// A pg connection that drops emits 'error' on the client (https://node-postgres.com/apis/client#error and
// https://node-postgres.com/apis/pool#error): with no listener, Node's EventEmitter throws it and the process exits.
describe.runIf(SERVER_REQUIRED)('a PostgreSQL connection lost inside a transaction', () => {
  it.each(['pool', 'client'])('through a pg %s: the transaction fails, and the process does not exit', (kind) => {
    const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', CHILD, kind], {
      env: { ...process.env, DATABASE_URL },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const last = run.stdout.trim().split('\n').pop() ?? '';
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(0, 2000) }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(last)).toMatchObject({ survived: true, threw: true });
  });
});
