import { type ChildProcess, spawn } from 'node:child_process';
import type { StorageProcessOptions } from './harness.js';

/**
 * The code each process runs (plain JavaScript, so that it needs no build step): it builds the adapter
 * from the user's module, then answers one command per line on stdin with one JSON line on stdout.
 */
const CHILD = String.raw`
const { pathToFileURL } = await import('node:url');
const HOUR = 3_600_000;
const T0 = 1_767_225_600_000;
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const all = (n, call) => Promise.all(Array.from({ length: n }, (_, i) => call(i)));
const record = (kind, id, data, extra = {}) =>
  ({ kind, id, status: 'pending', index: null, refs: [], expiresAt: null, createdAt: T0, data, ...extra });
const event = (id) => ({
  id, type: 'payment_intent.succeeded', account: null, objectId: null, livemode: false, created: 1_767_225_600,
  payload: JSON.stringify({ id }), source: 'delivery',
});
let storage;
const commands = {
  async build({ module, exportName, namespace }) {
    const url = module.startsWith('file:') ? module : pathToFileURL(module).href;
    const build = (await import(url))[exportName];
    if (typeof build !== 'function') throw new Error(module + ' does not export a function named ' + exportName);
    storage = await build(namespace);
  },
  async prepare({ events }) {
    await storage.insert(record('oauth_state', 'mp_state', { state: 'mp_state' }, { expiresAt: Date.now() + HOUR }));
    await storage.insert(record('counter', 'mp_counter', { value: 0 }));
    for (let i = 0; i < events; i++) await storage.claimEvent(event('mp_queued_' + String(i).padStart(4, '0')), { leaseMs: HOUR, lease: false });
  },
  insert: ({ callers, worker }) => all(callers, async (i) => {
    const result = await storage.insert(record('order', 'mp_record', { by: worker + ':' + i }));
    return { created: result.created, data: result.record.data, version: result.record.version };
  }),
  update: ({ callers, worker }) => all(callers, async (i) => {
    const next = record('order', 'mp_record', { by: worker + ':' + i }, { status: 'succeeded' });
    return (await storage.update('order', 'mp_record', next, { version: 1 })).applied;
  }),
  increment: ({ callers }) => all(callers, async () => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const current = await storage.get('counter', 'mp_counter');
      if (current === null) return -1;
      const next = record('counter', 'mp_counter', { value: current.data.value + 1 });
      if ((await storage.update('counter', 'mp_counter', next, { version: current.version })).applied) return attempt;
    }
    throw new Error('an increment never applied');
  }),
  read: async () => ({ record: await storage.get('order', 'mp_record'), counter: await storage.get('counter', 'mp_counter') }),
  consume: ({ callers }) => all(callers, async () => (await storage.consume('oauth_state', 'mp_state', Date.now())) !== null),
  claim: ({ callers }) => all(callers, async () => (await storage.claimEvent(event('mp_event'), { leaseMs: HOUR })).status),
  next: async ({ callers }) => (await all(callers, async () => {
    const taken = [];
    for (;;) {
      const batch = await storage.claimNextEvents({ limit: 2, leaseMs: HOUR });
      if (batch.length === 0) return taken;
      for (const { event, token } of batch) {
        taken.push({ id: event.id, settled: await storage.settleEvent(event.id, token, { status: 'processed' }) });
      }
    }
  })).flat(),
};
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (chunk) => {
  buffer += chunk;
  let end;
  while ((end = buffer.indexOf('\n')) >= 0) {
    const message = JSON.parse(buffer.slice(0, end));
    buffer = buffer.slice(end + 1);
    if (message.command === 'exit') process.exit(0);
    try {
      send({ ok: true, result: await commands[message.command](message) });
    } catch (error) {
      send({ ok: false, error: String((error && error.stack) || error) });
    }
  }
});
`;

interface Reply {
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** One process of the race, answering one JSON line per command. */
class Worker {
  private readonly child: ChildProcess;
  private readonly waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  private stdout = '';
  private stderr = '';
  private exited: Error | null = null;

  constructor(
    readonly index: number,
    options: StorageProcessOptions,
  ) {
    this.child = spawn(process.execPath, [...(options.execArgv ?? []), '--input-type=module', '--eval', CHILD], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      this.stdout += chunk;
      for (let end = this.stdout.indexOf('\n'); end >= 0; end = this.stdout.indexOf('\n')) {
        const line = this.stdout.slice(0, end);
        this.stdout = this.stdout.slice(end + 1);
        this.waiting.shift()?.resolve(JSON.parse(line) as Reply);
      }
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`process ${index} exited (${signal ?? code}): ${this.stderr.trim() || 'no output'}`);
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.exited);
    });
    this.child.stdin?.on('error', () => undefined);
  }

  /** Sends a command; resolves to its result, rejects with the process's error. */
  async send(command: string, fields: Record<string, unknown> = {}): Promise<unknown> {
    if (this.exited) throw this.exited;
    const reply = new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.child.stdin?.write(`${JSON.stringify({ command, worker: this.index, ...fields })}\n`);
    const { ok, result, error } = await reply;
    if (!ok) throw new Error(`process ${this.index}, ${command}: ${error}`);
    return result;
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.write(`${JSON.stringify({ command: 'exit' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    return exited.finally(() => clearTimeout(timer));
  }
}

const tally = <T>(items: readonly T[], test: (item: T) => boolean) => items.filter(test).length;

/**
 * Starts `count` processes that each build the adapter from `options.module` on one fresh namespace,
 * races them (`callers` concurrent calls in each) on the same ids, and returns the guarantees that
 * failed (empty when the adapter is atomic across processes).
 */
export async function raceProcesses(options: StorageProcessOptions, count: number, callers: number): Promise<string[]> {
  const namespace = `mp${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 36 ** 3).toString(36)}_`;
  const workers = Array.from({ length: count }, (_, i) => new Worker(i, options));
  const build = { module: options.module, exportName: options.exportName ?? 'createStorage', namespace };
  const failures: string[] = [];
  const total = count * callers;
  /** Every process runs `command` at once; resolves to their results, concatenated. */
  const together = async <T>(command: string) =>
    (await Promise.all(workers.map((w) => w.send(command, { callers })))).flat() as T[];
  try {
    const [first, ...others] = workers as [Worker, ...Worker[]];
    await first.send('build', build);
    await Promise.all(others.map((w) => w.send('build', build)));
    await first.send('prepare', { events: 2 * total });

    /** Runs one race; an error in it is a failure of that race, and the others still run. */
    const check = async (what: string, race: () => Promise<void>) => {
      try {
        await race();
      } catch (error) {
        failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    let applied = 0;
    await check('insert', async () => {
      const inserts = await together<{ created: boolean; data: unknown; version: number }>('insert');
      const created = tally(inserts, (r) => r.created);
      if (created !== 1) failures.push(`insert: ${created} of ${total} concurrent inserts of one record reported created`);
      const stored = JSON.stringify(inserts[0]?.data);
      if (inserts.some((r) => JSON.stringify(r.data) !== stored || r.version !== 1)) {
        failures.push('insert: the callers did not all receive the one stored record');
      }
    });
    await check('update', async () => {
      applied = tally(await together<boolean>('update'), Boolean);
      if (applied !== 1) failures.push(`update: ${applied} of ${total} updates expecting version 1 applied`);
    });
    await check('update', async () => {
      const attempts = await together<number>('increment');
      if (attempts.includes(-1)) failures.push('update: a process did not find the counter record another one stored');
      const read = (await first.send('read')) as {
        record: { version: number } | null;
        counter: { data: { value: number } } | null;
      };
      const value = read.counter?.data.value;
      if (value !== total)
        failures.push(`update: ${total} version-guarded increments left the counter at ${value} (lost updates)`);
      if (read.record?.version !== 1 + applied) {
        failures.push(`update: the record is at version ${read.record?.version} after ${applied} applied updates`);
      }
    });
    await check('consume', async () => {
      const consumed = tally(await together<boolean>('consume'), Boolean);
      if (consumed !== 1) failures.push(`consume: ${consumed} of ${total} concurrent consumers received the record`);
    });
    await check('claimEvent', async () => {
      const claimed = tally(await together<string>('claim'), (status) => status === 'claimed');
      if (claimed !== 1) failures.push(`claimEvent: ${claimed} of ${total} concurrent claims of one event won`);
    });
    await check('claimNextEvents', async () => {
      const handed = await together<{ id: string; settled: boolean }>('next');
      const taken = handed.map((h) => h.id);
      const refused = tally(handed, (h) => !h.settled);
      if (refused > 0) failures.push(`claimNextEvents: ${refused} settlements were refused (another process took the event)`);
      const distinct = new Set(taken).size;
      if (distinct !== taken.length) failures.push(`claimNextEvents: ${taken.length - distinct} events were handed out twice`);
      if (distinct !== 2 * total) failures.push(`claimNextEvents: ${distinct} of ${2 * total} queued events were handed out`);
    });
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await options.cleanup?.(namespace);
  }
  return failures;
}
