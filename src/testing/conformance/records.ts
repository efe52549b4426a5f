import type { OrderRecord } from '../../core/records.js';
import type { MarketplaceStorage, StoredRecord } from '../../storage/types.js';
import { assertEqual, assertTrue } from './assert.js';
import { orderWrite, recordWrite, T0 } from './fixtures.js';
import { count, type Harness, race } from './harness.js';

/** What `insert` stores for `write`: the envelope, version 1. */
const stored = <D>(write: Omit<StoredRecord<D>, 'version'>, version = 1): StoredRecord<D> => ({ ...write, version });

/** Records: get, insert-if-absent, the guarded update, list. */
export function recordsConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { n, test } = h;
  h.options.describe('records', () => {
    test('answers null and empty for records that do not exist', async (s) => {
      assertEqual(await s.get('order', 'nothing'), null, 'get of an unknown id');
      assertEqual(await s.update('order', 'nothing', orderWrite('nothing'), {}), { applied: false, record: null }, 'update');
      assertEqual(await s.list('order', { limit: 10 }), [], 'list of an empty storage');
    });

    test('stores a record once, with version 1, exactly as given', async (s) => {
      const write = orderWrite('o1', {
        mode: 'hosted',
        amount: 99_999_999,
        applicationFeeAmount: 12_000_000,
        currency: 'jpy',
        status: 'partially_refunded',
        paymentIntentId: 'pi_1',
        checkoutSessionId: 'cs_1',
        chargeId: 'ch_1',
        amountRefunded: 5_000_000_000,
        dispute: { id: 'dp_1', status: 'needs_response', amount: 1000 },
        lastPaymentError: { code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has "no" funds.' },
        description: "Ünïcödé — 注文 'quoted' \\ backslash",
        metadata: { cart: '42', 'emoji 🛒': '✓', empty: '' },
        createdAt: T0 + 1,
      });
      assertEqual(await s.insert(write), { created: true, record: stored(write) }, 'the first insert');
      assertEqual(await s.get('order', 'o1'), stored(write), 'get after insert');
      const other = orderWrite('o1', { amount: 3000, vendorId: 'vendor_2', status: 'pending', createdAt: T0 + 9 });
      assertEqual(await s.insert(other), { created: false, record: stored(write) }, 'a second insert returns the stored record');
      assertEqual(await s.get('order', 'o1'), stored(write), 'the stored record is unchanged by a second insert');
      assertEqual(await s.get('vendor', 'o1'), null, 'kinds are apart: the same id of another kind is not found');
    });

    test('keeps its own copy: changing a written or returned object changes nothing stored', async (s) => {
      const data = { nested: { list: [1, 2] }, label: 'a' };
      const write = recordWrite('thing', 't1', data, { refs: ['ref_t1'] });
      const inserted = await s.insert(write);
      data.nested.list.push(3);
      (inserted.record.data as typeof data).nested.list.push(4);
      const read = await s.get<typeof data>('thing', 't1');
      assertEqual(read?.data, { nested: { list: [1, 2] }, label: 'a' }, 'the stored data');
      (read?.data as typeof data).label = 'changed';
      assertEqual((await s.get<typeof data>('thing', 't1'))?.data.label, 'a', 'after changing a read copy');
    });

    test(`lets exactly one of ${n} concurrent inserts of the same record win`, async (s) => {
      const results = await race(n, (i) => s.insert(orderWrite('o1', { amount: 1000 + i, createdAt: T0 + i })));
      assertEqual(
        count(results, (r) => r.created),
        1,
        'inserts that report created: true',
      );
      const record = await s.get('order', 'o1');
      assertTrue(record !== null && record.version === 1, 'the record is stored with version 1');
      for (const result of results) assertEqual(result.record, record, 'every caller receives the stored record');
    });

    test('applies an update guarded by the version read, and keeps kind, id and createdAt', async (s) => {
      await s.insert(orderWrite('o1', { createdAt: T0 + 5 }));
      const next = orderWrite('o1', { status: 'succeeded', chargeId: 'ch_9', vendorId: 'vendor_9', createdAt: T0 + 99 });
      const expected = stored({ ...next, createdAt: T0 + 5 }, 2);
      assertEqual(await s.update('order', 'o1', next, { version: 1 }), { applied: true, record: expected }, 'the update');
      assertEqual(await s.get('order', 'o1'), expected, 'get after the update');
      const stale = orderWrite('o1', { status: 'failed' });
      assertEqual(await s.update('order', 'o1', stale, { version: 1 }), { applied: false, record: expected }, 'a stale version');
      assertEqual(await s.get('order', 'o1'), expected, 'the stale update changed nothing');
      const third = await s.update('order', 'o1', orderWrite('o1', { status: 'refunded' }), {});
      assertEqual([third.applied, third.record?.version, third.record?.status], [true, 3, 'refunded'], 'an unguarded update');
    });

    test('applies an update guarded by statuses only from those statuses; every part of a guard must hold', async (s) => {
      await s.insert(orderWrite('o1', { status: 'succeeded' }));
      const failed = orderWrite('o1', { status: 'failed' });
      const current = await s.get('order', 'o1');
      assertEqual(
        await s.update('order', 'o1', failed, { statuses: ['pending'] }),
        { applied: false, record: current },
        'not in statuses',
      );
      assertEqual((await s.update('order', 'o1', failed, { statuses: [] })).applied, false, 'empty statuses admit nothing');
      assertEqual(
        (await s.update('order', 'o1', failed, { statuses: ['succeeded'], version: 2 })).applied,
        false,
        'the right status with a wrong version',
      );
      assertEqual(
        (await s.update('order', 'o1', failed, { statuses: ['pending'], version: 1 })).applied,
        false,
        'the right version with a wrong status',
      );
      const applied = await s.update('order', 'o1', failed, { statuses: ['pending', 'succeeded'], version: 1 });
      assertEqual([applied.applied, applied.record?.status, applied.record?.version], [true, 'failed', 2], 'both hold');
    });

    test(`lets at most one of ${n} concurrent updates with the same expected version apply`, async (s) => {
      await s.insert(orderWrite('o1'));
      const results = await race(n, (i) =>
        s.update('order', 'o1', orderWrite('o1', { status: 'succeeded', chargeId: `ch_${i}` }), { version: 1 }),
      );
      const applied = results.flatMap((r, i) => (r.applied ? [i] : []));
      assertEqual(applied.length, 1, 'updates that applied');
      const record = await s.get<OrderRecord>('order', 'o1');
      assertEqual([record?.version, record?.data.chargeId], [2, `ch_${applied[0]}`], "the stored record is the winner's");
    });

    test(`loses no update when ${n} callers each read, then update guarded by the version read`, async (s) => {
      await s.insert(recordWrite('counter', 'c', { value: 0 }));
      await race(n, async () => {
        for (let attempt = 0; attempt < 10 * n; attempt++) {
          const current = await s.get<{ value: number }>('counter', 'c');
          assertTrue(current !== null, 'the counter exists');
          const next = recordWrite('counter', 'c', { value: current.data.value + 1 });
          if ((await s.update('counter', 'c', next, { version: current.version })).applied) return;
        }
        throw new Error('an increment never applied');
      });
      const record = await s.get<{ value: number }>('counter', 'c');
      assertEqual([record?.data.value, record?.version], [n, n + 1], 'the counter and its version after every increment');
    });

    test(`lets exactly one of ${n} concurrent conflicting transitions apply, status and data together`, async (s) => {
      await s.insert(orderWrite('o1'));
      const targets = ['succeeded', 'canceled', 'expired'] as const;
      const results = await race(n, (i) =>
        s.update('order', 'o1', orderWrite('o1', { status: targets[i % 3], chargeId: `ch_${i}` }), { statuses: ['pending'] }),
      );
      const applied = results.flatMap((r, i) => (r.applied ? [i] : []));
      assertEqual(applied.length, 1, 'updates that applied');
      const winner = applied[0] as number;
      const record = await s.get<OrderRecord>('order', 'o1');
      assertEqual(
        [record?.status, record?.data.status, record?.data.chargeId],
        [targets[winner % 3], targets[winner % 3], `ch_${winner}`],
        "the stored record carries the winner's status and data",
      );
    });

    test('lists newest first (ties by id, descending), by index and statuses, limited, paged by createdBefore', async (s) => {
      const orders = [
        orderWrite('b', { createdAt: T0 + 2, vendorId: 'v1', status: 'succeeded' }),
        orderWrite('a', { createdAt: T0 + 2, vendorId: 'v1', status: 'pending' }),
        orderWrite('c', { createdAt: T0 + 1, vendorId: 'v2', status: 'succeeded' }),
        orderWrite('Z', { createdAt: T0 + 3, vendorId: 'v1', status: 'refunded' }),
        orderWrite('d', { createdAt: T0 + 4, vendorId: 'v2', status: 'failed' }),
      ];
      for (const order of orders) await s.insert(order);
      await s.insert(recordWrite('other', 'x', {}, { createdAt: T0 + 9, index: 'v1' }));
      const ids = (list: StoredRecord[]) => list.map((r) => r.id);
      assertEqual(ids(await s.list('order', { limit: 10 })), ['d', 'Z', 'b', 'a', 'c'], 'list()');
      assertEqual(ids(await s.list('order', { index: 'v1', limit: 10 })), ['Z', 'b', 'a'], 'by index');
      assertEqual(ids(await s.list('order', { statuses: ['succeeded'], limit: 10 })), ['b', 'c'], 'by statuses');
      assertEqual(
        ids(await s.list('order', { index: 'v2', statuses: ['succeeded', 'failed'], limit: 1 })),
        ['d'],
        'by index and statuses, limited',
      );
      assertEqual(await s.list('order', { statuses: [], limit: 10 }), [], 'empty statuses match nothing');
      assertEqual(ids(await s.list('order', { limit: 10, createdBefore: T0 + 3 })), ['b', 'a', 'c'], 'createdBefore');
      assertEqual((await s.list('order', { limit: 1 }))[0], stored(orders[4] as StoredRecord), 'listed records are complete');
      assertEqual(ids(await s.list('other', { index: 'v1', limit: 10 })), ['x'], 'another kind is listed apart');
    });

    test('pages through every record once with limit and createdBefore', async (s) => {
      for (let i = 0; i < 9; i++) await s.insert(orderWrite(`o${i}`, { createdAt: T0 + i * 10 }));
      const seen: string[] = [];
      let before: number | undefined;
      for (let page = 0; page < 10; page++) {
        const list = await s.list('order', { limit: 2, ...(before === undefined ? {} : { createdBefore: before }) });
        if (list.length === 0) break;
        seen.push(...list.map((r) => r.id));
        before = (list[list.length - 1] as StoredRecord).createdAt;
      }
      assertEqual(seen, ['o8', 'o7', 'o6', 'o5', 'o4', 'o3', 'o2', 'o1', 'o0'], 'the pages in order');
    });
  });
}
