// A deliberately broken storage adapter: its state is one JSON file, and every call reads the file,
// changes the state and writes it back behind a lock that only this process honours. It is atomic
// inside one process (it passes the conformance suite's in-process races) and not across processes,
// which the suite's multi-process part must catch. Plain JavaScript, so child processes load it as is.
import { open, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const fileOf = (namespace) => join(tmpdir(), `stripe-marketplace-conformance-${namespace}.json`);

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const copy = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

export async function createStorage(namespace) {
  const file = fileOf(namespace);
  let tail = Promise.resolve();
  let leases = 0;
  /** Runs `change` on the state read from the file, then writes it back; one call at a time in this process. */
  const locked = (change) => {
    const run = tail.then(() =>
      process.env.JSON_STORAGE_FILE_LOCK === '1' ? acrossProcesses(file, () => step(change)) : step(change),
    );
    tail = run.catch(() => undefined);
    return run;
  };
  const step = async (change) => {
    let state;
    try {
      state = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      state = { records: {}, links: {}, events: {} };
    }
    // Another process may read the same state meanwhile: the lock is this process's only. The pause
    // (JSON_STORAGE_PAUSE_MS) widens that window, so that the race shows on a slow machine too.
    await pause(Number(process.env.JSON_STORAGE_PAUSE_MS ?? 0));
    const result = change(state);
    // Whole files only (written aside, then renamed over): what goes wrong is the race, not torn writes.
    await writeFile(`${file}.${process.pid}`, JSON.stringify(state));
    await rename(`${file}.${process.pid}`, file);
    return copy(result);
  };
  const key = (kind, id) => `${kind}/${id}`;
  const link = (state, record) => {
    for (const ref of record.refs) state.links[ref] ??= key(record.kind, record.id);
  };
  const take = (row, now, leaseMs) => {
    const token = `${process.pid}_${++leases}`;
    Object.assign(row, {
      status: 'processing',
      token,
      attempts: row.attempts + 1,
      leaseExpiresAt: now + leaseMs,
      nextAttemptAt: null,
    });
    return token;
  };
  const publicEvent = ({ token: _token, ...event }) => event;
  await locked(() => undefined);
  return {
    get: (kind, id) => locked((state) => state.records[key(kind, id)] ?? null),
    insert: (record) =>
      locked((state) => {
        const existing = state.records[key(record.kind, record.id)];
        if (existing) return { created: false, record: existing };
        const stored = { ...record, version: 1 };
        state.records[key(record.kind, record.id)] = stored;
        link(state, stored);
        return { created: true, record: stored };
      }),
    update: (kind, id, next, guard) =>
      locked((state) => {
        const existing = state.records[key(kind, id)];
        if (!existing) return { applied: false, record: null };
        if (guard.version !== undefined && guard.version !== existing.version) return { applied: false, record: existing };
        if (guard.statuses !== undefined && !guard.statuses.includes(existing.status))
          return { applied: false, record: existing };
        const stored = { ...next, kind, id, createdAt: existing.createdAt, version: existing.version + 1 };
        state.records[key(kind, id)] = stored;
        link(state, stored);
        return { applied: true, record: stored };
      }),
    list: (kind, query) =>
      locked((state) =>
        Object.values(state.records)
          .filter((r) => r.kind === kind && (query.index === undefined || r.index === query.index))
          .filter((r) => query.statuses === undefined || query.statuses.includes(r.status))
          .filter((r) => query.createdBefore === undefined || r.createdAt < query.createdBefore)
          .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
          .slice(0, query.limit),
      ),
    resolve: (stripeId) => locked((state) => state.records[state.links[stripeId]] ?? null),
    consume: (kind, id, now) =>
      locked((state) => {
        const record = state.records[key(kind, id)];
        if (!record) return null;
        delete state.records[key(kind, id)];
        return record.expiresAt === null || record.expiresAt > now ? record : null;
      }),
    claimEvent: (event, options) =>
      locked((state) => {
        const now = Date.now();
        let row = state.events[event.id];
        if (!row) {
          row = { ...event, status: 'pending', attempts: 0, lastError: null, receivedAt: now, nextAttemptAt: now };
          Object.assign(row, { leaseExpiresAt: null, processedAt: null, token: null });
          state.events[event.id] = row;
          if (options.lease === false) return { status: 'queued', created: true };
        } else if (row.status === 'processed') return { status: 'processed' };
        else if (options.lease === false) return { status: 'queued', created: false };
        else if (row.status === 'processing' && row.leaseExpiresAt > now) {
          return { status: 'in_progress', leaseExpiresAt: row.leaseExpiresAt };
        }
        return { status: 'claimed', token: take(row, now, options.leaseMs), attempts: row.attempts };
      }),
    claimNextEvents: (options) =>
      locked((state) => {
        const now = Date.now();
        return Object.values(state.events)
          .filter(
            (e) => (e.status === 'pending' && e.nextAttemptAt <= now) || (e.status === 'processing' && e.leaseExpiresAt <= now),
          )
          .sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1))
          .slice(0, options.limit)
          .map((row) => {
            const token = take(row, now, options.leaseMs);
            return { event: publicEvent(row), token };
          });
      }),
    settleEvent: (eventId, token, settlement) =>
      locked((state) => {
        const row = state.events[eventId];
        if (row?.status !== 'processing' || row.token !== token) return false;
        Object.assign(row, { status: settlement.status, token: null, leaseExpiresAt: null, nextAttemptAt: null });
        if (settlement.status === 'processed') row.processedAt = Date.now();
        else row.lastError = settlement.error;
        if (settlement.status === 'pending') row.nextAttemptAt = settlement.retryAt;
        return true;
      }),
    listEvents: (query) =>
      locked((state) =>
        Object.values(state.events)
          .filter((e) => query.statuses === undefined || query.statuses.includes(e.status))
          .sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1))
          .slice(0, query.limit)
          .map(publicEvent),
      ),
    prune: () => locked(() => ({ events: 0, records: 0 })),
  };
}

/**
 * With JSON_STORAGE_FILE_LOCK=1, the fix: every call also holds a lock file that all processes honour
 * (created exclusively, removed after the write), so the adapter is atomic across processes too.
 */
async function acrossProcesses(file, run) {
  for (;;) {
    try {
      await (await open(`${file}.lock`, 'wx')).close();
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      await pause(1);
    }
  }
  try {
    return await run();
  } finally {
    await unlink(`${file}.lock`);
  }
}

/** Removes the namespace's file. */
export const removeStorage = async (namespace) => {
  await rm(fileOf(namespace), { force: true });
  await rm(`${fileOf(namespace)}.lock`, { force: true });
};
