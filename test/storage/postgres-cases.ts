import { expect, it } from 'vitest';
import type { PostgresStorage } from '../../src/postgres.js';
import { eventInput, record, T0 } from './postgres-fixtures.js';

/** A fresh, migrated storage with its own tables, and how to drop them. */
export interface StorageFactory {
  create(): Promise<PostgresStorage>;
  cleanup(storage: PostgresStorage): Promise<void>;
  /**
   * On a server with several connections: resolves once `n` statements on `storage`'s tables wait for a
   * lock, so that contenders started inside a transaction are blocked on its rows before it commits.
   */
  lockWaiters?: (storage: PostgresStorage, n: number) => Promise<void>;
}

const race = <T>(n: number, call: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => call(i)));

/**
 * What the adapter's single statements guarantee, checked on one driver: guarded writes under concurrent
 * callers (on a pool they run on separate connections), the Stripe id index, the inbox, and pruning.
 * Register inside a `describe`.
 */
export function adapterCases(factory: StorageFactory, concurrency = 20): void {
  /**
   * Starts `n` contenders while a transaction holds the row they write (`hold`), and commits only when they
   * wait for it: each contender then decides on a row newer than its statement's snapshot.
   */
  const raceBehind = async <T>(
    s: PostgresStorage,
    hold: (tx: PostgresStorage) => Promise<unknown>,
    n: number,
    call: (i: number) => Promise<T>,
  ): Promise<T[]> => {
    let results: Promise<T[]> = Promise.resolve([]);
    await s.transaction(async (tx) => {
      await hold(tx);
      results = race(n, call);
      results.catch(() => undefined);
      await factory.lockWaiters?.(s, n);
    });
    return results;
  };

  const test = (name: string, body: (storage: PostgresStorage) => Promise<void>) =>
    it(name, async () => {
      const storage = await factory.create();
      try {
        await body(storage);
      } finally {
        await factory.cleanup(storage);
      }
    });

  test('insert: of concurrent inserts of one record exactly one creates it, and all receive the winner', async (s) => {
    const results = await race(concurrency, (i) => s.insert(record('order', 'o1', { data: { n: i }, refs: [`pi_${i}`] })));
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    const stored = await s.get('order', 'o1');
    for (const r of results) expect(r.record).toEqual(stored);
    // Only the winner's refs are linked: the losers' records were never stored.
    const winner = winners[0]?.record.data as { n: number };
    expect((await s.resolve(`pi_${winner.n}`))?.id).toBe('o1');
    expect(await s.resolve(`pi_${(winner.n + 1) % concurrency}`)).toBeNull();
  });

  test('insert and update: a Stripe id stays linked to the first record that carried it', async (s) => {
    expect((await s.insert(record('order', 'o1', { refs: ['pi_1', 'ch_1'] }))).created).toBe(true);
    await s.insert(record('order', 'o2', { refs: ['pi_1', 'pi_2'] }));
    expect((await s.resolve('pi_1'))?.id).toBe('o1');
    expect((await s.resolve('pi_2'))?.id).toBe('o2');
    const updated = await s.update(
      'order',
      'o2',
      record('order', 'o2', { refs: ['pi_2', 'ch_1', 'ch_2'], status: 'succeeded' }),
      {},
    );
    expect(updated).toMatchObject({ applied: true, record: { version: 2, status: 'succeeded', refs: ['pi_2', 'ch_1', 'ch_2'] } });
    expect((await s.resolve('ch_1'))?.id).toBe('o1');
    expect(await s.resolve('ch_2')).toEqual(updated.record);
    expect(await s.resolve('pi_unknown')).toBeNull();
  });

  test('insert: records carrying the same new Stripe ids in opposite orders link each id once, without deadlock', async (s) => {
    const ids = ['ch_a', 'ch_b', 'ch_c', 'ch_d'];
    const results = await race(concurrency, (i) =>
      s.insert(record('order', `o${i}`, { refs: i % 2 === 0 ? ids : [...ids].reverse() })),
    );
    expect(results.every((r) => r.created)).toBe(true);
    const owners = await Promise.all(ids.map(async (id) => (await s.resolve(id))?.id));
    expect(owners.every((owner) => owner !== undefined)).toBe(true);
  });

  test('update: of concurrent updates from one version at most one applies; the others see the stored record', async (s) => {
    await s.insert(record('order', 'o1'));
    const results = await race(concurrency, (i) =>
      s.update('order', 'o1', record('order', 'o1', { data: { n: i }, createdAt: T0 + 999 }), { version: 1 }),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    const stored = await s.get('order', 'o1');
    expect(stored).toMatchObject({ version: 2, createdAt: T0 });
    for (const r of results.filter((x) => !x.applied)) expect(r.record).toEqual(stored);
  });

  test('insert, update and claimEvent behind a committing writer: the losers answer with its row', async (s) => {
    const n = Math.min(concurrency, 10);
    const inserts = await raceBehind(
      s,
      (tx) => tx.insert(record('order', 'o1', { data: { n: -1 } })),
      n,
      (i) => s.insert(record('order', 'o1', { data: { n: i } })),
    );
    const stored = await s.get('order', 'o1');
    expect(stored?.data).toEqual({ n: -1 });
    expect(inserts).toEqual(inserts.map(() => ({ created: false, record: stored })));
    const updates = await raceBehind(
      s,
      (tx) => tx.update('order', 'o1', record('order', 'o1', { data: { n: -2 } }), { version: 1 }),
      n,
      (i) => s.update('order', 'o1', record('order', 'o1', { data: { n: i } }), { version: 1, statuses: ['pending'] }),
    );
    const updated = await s.get('order', 'o1');
    expect(updated).toMatchObject({ version: 2, data: { n: -2 } });
    expect(updates).toEqual(updates.map(() => ({ applied: false, record: updated })));
    let leaseExpiresAt = 0;
    const claims = await raceBehind(
      s,
      async (tx) => {
        await tx.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 });
        leaseExpiresAt = (await tx.listEvents({ limit: 1 }))[0]?.leaseExpiresAt ?? 0;
      },
      n,
      () => s.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 }),
    );
    expect(claims).toEqual(claims.map(() => ({ status: 'in_progress', leaseExpiresAt })));
  });

  test('update: a status guard refuses, and reports the record as it stands; a missing record is null', async (s) => {
    await s.insert(record('order', 'o1', { status: 'succeeded', index: 'v1' }));
    const refused = await s.update('order', 'o1', record('order', 'o1', { status: 'processing' }), { statuses: ['pending'] });
    expect(refused).toEqual({ applied: false, record: await s.get('order', 'o1') });
    expect(refused.record).toMatchObject({ version: 1, status: 'succeeded', index: 'v1' });
    const applied = await s.update('order', 'o1', record('order', 'o1', { status: 'refunded', index: 'v2' }), {
      statuses: ['succeeded'],
      version: 1,
    });
    expect(applied.record).toMatchObject({ version: 2, status: 'refunded', index: 'v2' });
    expect(await s.update('order', 'missing', record('order', 'missing'), {})).toEqual({ applied: false, record: null });
  });

  test('list: newest first by createdAt then id, by index and status, paged by createdBefore', async (s) => {
    const rows: [string, number, string, string][] = [
      ['a', T0, 'v1', 'pending'],
      ['b', T0 + 1, 'v1', 'succeeded'],
      ['c', T0 + 1, 'v2', 'pending'],
      ['d', T0 + 2, 'v1', 'pending'],
    ];
    for (const [id, createdAt, index, status] of rows) await s.insert(record('order', id, { createdAt, index, status }));
    await s.insert(record('vendor', 'x', { createdAt: T0 + 5 }));
    const ids = async (query: Parameters<PostgresStorage['list']>[1]) => (await s.list('order', query)).map((r) => r.id);
    expect(await ids({ limit: 10 })).toEqual(['d', 'c', 'b', 'a']);
    expect(await ids({ limit: 2 })).toEqual(['d', 'c']);
    expect(await ids({ index: 'v1', limit: 10 })).toEqual(['d', 'b', 'a']);
    expect(await ids({ statuses: ['pending'], limit: 10 })).toEqual(['d', 'c', 'a']);
    expect(await ids({ index: 'v1', statuses: ['pending', 'succeeded'], createdBefore: T0 + 2, limit: 10 })).toEqual(['b', 'a']);
    expect(await ids({ statuses: [], limit: 10 })).toEqual([]);
  });

  test('consume: of concurrent consumers exactly one receives the record; an expired one is deleted and null', async (s) => {
    await s.insert(record('oauth_state', 'st', { expiresAt: T0 + 1000, refs: ['x_1'] }));
    const results = await race(concurrency, () => s.consume('oauth_state', 'st', T0));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await s.resolve('x_1')).toBeNull();
    await s.insert(record('oauth_state', 'old', { expiresAt: T0 }));
    expect(await s.consume('oauth_state', 'old', T0)).toBeNull();
    expect(await s.get('oauth_state', 'old')).toBeNull();
    await s.insert(record('token', 'forever'));
    expect(await s.consume('token', 'forever', T0 + 10 ** 9)).toMatchObject({ id: 'forever', expiresAt: null });
  });

  test('claimEvent: of concurrent claims exactly one holds the event; the rest see it in progress', async (s) => {
    const results = await race(concurrency, () => s.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 }));
    const claimed = results.filter((r) => r.status === 'claimed');
    expect(claimed).toEqual([{ status: 'claimed', token: expect.any(String), attempts: 1 }]);
    const [event] = await s.listEvents({ limit: 10 });
    expect(event).toMatchObject({ id: 'evt_1', status: 'processing', attempts: 1, source: 'delivery' });
    for (const r of results) {
      if (r.status !== 'claimed') expect(r).toEqual({ status: 'in_progress', leaseExpiresAt: event?.leaseExpiresAt });
    }
    const token = claimed[0]?.status === 'claimed' ? claimed[0].token : '';
    expect(await s.settleEvent('evt_1', 'not-the-token', { status: 'processed' })).toBe(false);
    expect(await s.settleEvent('evt_1', token, { status: 'processed' })).toBe(true);
    expect(await s.settleEvent('evt_1', token, { status: 'processed' })).toBe(false);
    expect(await s.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 })).toEqual({ status: 'processed' });
  });

  test('claimEvent: a failed or ended claim is taken again, with one more attempt and a new token', async (s) => {
    const first = await s.claimEvent(eventInput('evt_1', { payload: null as never }), { leaseMs: 0 });
    expect(first).toMatchObject({ status: 'claimed', attempts: 1 });
    // The lease of 0 ms has ended: the next claim takes the event over, and fills in the payload.
    const second = await s.claimEvent(eventInput('evt_1'), { leaseMs: 60_000 });
    expect(second).toMatchObject({ status: 'claimed', attempts: 2 });
    const token = (c: typeof first) => (c.status === 'claimed' ? c.token : '');
    expect(token(second)).not.toBe(token(first));
    expect(await s.settleEvent('evt_1', token(first), { status: 'processed' })).toBe(false);
    expect(await s.settleEvent('evt_1', token(second), { status: 'failed', error: 'handler threw' })).toBe(true);
    const [failed] = await s.listEvents({ statuses: ['failed'], limit: 10 });
    expect(failed).toMatchObject({
      status: 'failed',
      lastError: 'handler threw',
      leaseExpiresAt: null,
      payload: eventInput('evt_1').payload,
    });
    const replay = await s.claimEvent(eventInput('evt_1', { source: 'replay' }), { leaseMs: 60_000 });
    expect(replay).toMatchObject({ status: 'claimed', attempts: 3 });
    expect(await s.settleEvent('evt_1', token(replay), { status: 'processed' })).toBe(true);
    const [done] = await s.listEvents({ limit: 10 });
    expect(done).toMatchObject({ status: 'processed', attempts: 3, lastError: 'handler threw', source: 'delivery' });
    expect(done?.processedAt).toEqual(expect.any(Number));
  });

  test('claimEvent without a lease stores the event pending once; claimNextEvents hands each due event to one worker', async (s) => {
    const acks = await race(concurrency, (i) => s.claimEvent(eventInput(`evt_${i % 5}`), { leaseMs: 1000, lease: false }));
    expect(acks.filter((a) => a.status === 'queued' && a.created)).toHaveLength(5);
    expect(acks.every((a) => a.status === 'queued')).toBe(true);
    const pending = await s.listEvents({ statuses: ['pending'], limit: 10 });
    expect(pending.map((e) => [e.id, e.attempts, e.payload])).toEqual(pending.map((e) => [e.id, 0, eventInput(e.id).payload]));
    const batches = await race(4, () => s.claimNextEvents({ limit: 2, leaseMs: 60_000 }));
    const ids = batches.flat().map((c) => c.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(5);
    for (const { event, token } of batches.flat()) {
      expect(event).toMatchObject({ status: 'processing', attempts: 1 });
      expect(typeof token).toBe('string');
    }
    // Held: nothing is due, and a delivery of a held event is in progress.
    expect(await s.claimNextEvents({ limit: 10, leaseMs: 60_000 })).toEqual([]);
    expect(await s.claimEvent(eventInput('evt_0'), { leaseMs: 1000 })).toMatchObject({ status: 'in_progress' });
    // Released for a retry in the past: due again, oldest first.
    const held = batches.flat().find((c) => c.event.id === 'evt_3');
    expect(await s.settleEvent('evt_3', held?.token ?? '', { status: 'pending', error: 'timeout', retryAt: T0 })).toBe(true);
    const again = await s.claimNextEvents({ limit: 10, leaseMs: 60_000 });
    expect(again.map((c) => [c.event.id, c.event.attempts, c.event.lastError])).toEqual([['evt_3', 2, 'timeout']]);
  });

  test('claimNextEvents: a retry is not due before its time; an ended lease is due', async (s) => {
    await s.claimEvent(eventInput('evt_a'), { leaseMs: 0 });
    const claim = await s.claimEvent(eventInput('evt_b'), { leaseMs: 60_000 });
    const future = Date.now() + 3_600_000;
    expect(
      await s.settleEvent('evt_b', claim.status === 'claimed' ? claim.token : '', {
        status: 'pending',
        error: 'later',
        retryAt: future,
      }),
    ).toBe(true);
    const due = await s.claimNextEvents({ limit: 10, leaseMs: 60_000 });
    expect(due.map((c) => c.event.id)).toEqual(['evt_a']);
    expect((await s.listEvents({ statuses: ['pending'], limit: 10 })).map((e) => e.nextAttemptAt)).toEqual([future]);
  });

  test('listEvents pages oldest first; prune removes old processed events and expired records only', async (s) => {
    for (const id of ['evt_1', 'evt_2', 'evt_3']) {
      const c = await s.claimEvent(eventInput(id), { leaseMs: 60_000 });
      if (id !== 'evt_3') await s.settleEvent(id, c.status === 'claimed' ? c.token : '', { status: 'processed' });
    }
    const all = await s.listEvents({ limit: 10 });
    expect(all.map((e) => e.id)).toEqual(['evt_1', 'evt_2', 'evt_3']);
    const [first] = all;
    const rest = await s.listEvents({ limit: 10, after: { receivedAt: first?.receivedAt ?? 0, id: first?.id ?? '' } });
    expect(rest.map((e) => e.id)).toEqual(['evt_2', 'evt_3']);
    await s.insert(record('oauth_state', 'old', { expiresAt: T0 }));
    await s.insert(record('oauth_state', 'new', { expiresAt: T0 + 10_000 }));
    await s.insert(record('order', 'kept'));
    expect(await s.prune({ processedBefore: 0, expiredBefore: T0 })).toEqual({ events: 0, records: 0 });
    expect(await s.prune({ processedBefore: Date.now() + 60_000, expiredBefore: T0 + 1 })).toEqual({ events: 2, records: 1 });
    expect((await s.listEvents({ limit: 10 })).map((e) => e.id)).toEqual(['evt_3']);
    expect(await s.get('oauth_state', 'old')).toBeNull();
    expect(await s.get('oauth_state', 'new')).not.toBeNull();
  });

  test('transaction: writes commit together, or none does; a nested failure undoes only its own writes', async (s) => {
    await expect(
      s.transaction(async (tx) => {
        await tx.insert(record('order', 'rolled', { refs: ['pi_rolled'] }));
        await tx.claimEvent(eventInput('evt_rolled'), { leaseMs: 60_000 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await s.get('order', 'rolled')).toBeNull();
    expect(await s.resolve('pi_rolled')).toBeNull();
    expect(await s.listEvents({ limit: 10 })).toEqual([]);
    await s.transaction(async (tx) => {
      await tx.insert(record('order', 'outer'));
      await expect(
        tx.transaction(async (inner) => {
          await inner.insert(record('order', 'inner'));
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
      await tx.query(`UPDATE ${tx.tablePrefix}records SET status = $1 WHERE id = $2`, ['own write', 'outer']);
    });
    expect((await s.get('order', 'outer'))?.status).toBe('own write');
    expect(await s.get('order', 'inner')).toBeNull();
  });
}
