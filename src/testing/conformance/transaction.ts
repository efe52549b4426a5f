import type { MarketplaceStorage } from '../../storage/types.js';
import { assertEqual, assertTrue, rejects } from './assert.js';
import { inboxEvent, orderWrite, recordWrite, stateWrite, T0 } from './fixtures.js';
import { type Harness, race, sleep, transactionOf } from './harness.js';
import { tokenOf } from './inbox.js';

/** The optional transaction: commit, rollback, nesting, isolation. */
export function transactionConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { n, test, longLeaseMs: long } = h;
  h.options.describe('transaction', () => {
    test('commits every write made through tx when the callback resolves', async (s) => {
      const transaction = transactionOf(s);
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      const value = await transaction(async (tx) => {
        await tx.insert(orderWrite('o1', { paymentIntentId: 'pi_1' }));
        await tx.update('order', 'o1', orderWrite('o1', { paymentIntentId: 'pi_1', status: 'succeeded' }), { version: 1 });
        assertEqual((await tx.get('order', 'o1'))?.status, 'succeeded', 'tx reads its own writes');
        assertEqual(await tx.settleEvent('evt_1', token, { status: 'processed' }), true, 'settleEvent inside');
        return 'done';
      });
      assertEqual(value, 'done', "transaction returns the callback's value");
      assertEqual((await s.get('order', 'o1'))?.version, 2, 'the writes committed');
      assertEqual((await s.resolve('pi_1'))?.id, 'o1', 'the ref committed');
      assertEqual(
        await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }),
        { status: 'processed' },
        'the settlement committed',
      );
    });

    test('rolls back every write made through tx when the callback throws, and rethrows', async (s) => {
      const transaction = transactionOf(s);
      await s.insert(orderWrite('o1'));
      await s.insert(stateWrite('state_1', T0 + 1000));
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      await s.claimEvent(inboxEvent('evt_q'), { leaseMs: long, lease: false });
      const before = await s.listEvents({ limit: 100 });
      const failure = new Error('handler failed');
      const error = await rejects(
        transaction(async (tx) => {
          await tx.update('order', 'o1', orderWrite('o1', { status: 'succeeded', chargeId: 'ch_1' }), {});
          await tx.insert(orderWrite('o2', { paymentIntentId: 'pi_2' }));
          assertEqual((await tx.consume('oauth_state', 'state_1', T0))?.id, 'state_1', 'consume inside');
          assertEqual(await tx.settleEvent('evt_1', token, { status: 'processed' }), true, 'settleEvent inside');
          assertEqual((await tx.claimEvent(inboxEvent('evt_2'), { leaseMs: long })).status, 'claimed', 'a new claim inside');
          assertEqual((await tx.claimNextEvents({ limit: 10, leaseMs: long })).length, 1, 'a worker claim inside');
          throw failure;
        }),
        'a transaction whose callback throws',
      );
      assertTrue(error === failure, "the callback's error is rethrown");
      const order = await s.get('order', 'o1');
      assertEqual([order?.version, order?.status], [1, 'pending'], 'the update was rolled back');
      assertEqual(await s.get('order', 'o2'), null, 'the insert was rolled back');
      assertEqual(await s.resolve('pi_2'), null, 'its ref was rolled back');
      assertEqual(await s.resolve('ch_1'), null, 'the update’s ref was rolled back');
      assertEqual((await s.get('oauth_state', 'state_1'))?.id, 'state_1', 'the consume was rolled back');
      assertEqual(await s.listEvents({ limit: 100 }), before, 'the inbox is as it was');
      assertEqual(await s.settleEvent('evt_1', token, { status: 'processed' }), true, 'the claim still holds');
    });

    test('rolls back when settling finds the lease taken over', async (s) => {
      const transaction = transactionOf(s);
      const first = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: h.shortLeaseMs }), 'claim');
      await h.elapse(s, h.shortLeaseMs);
      const second = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'takeover');
      await rejects(
        transaction(async (tx) => {
          await tx.insert(orderWrite('o1'));
          if (!(await tx.settleEvent('evt_1', first, { status: 'processed' }))) throw new Error('lease lost');
        }),
        'a transaction whose settlement finds the lease lost',
      );
      assertEqual(await s.get('order', 'o1'), null, "the stale holder's write was rolled back");
      assertEqual(await s.settleEvent('evt_1', second, { status: 'processed' }), true, 'the new holder settles');
    });

    test('nests: an inner failure undoes only the inner writes; an outer failure undoes all', async (s) => {
      const transaction = transactionOf(s);
      await transaction(async (tx) => {
        await tx.insert(recordWrite('thing', 'outer', {}));
        const nested = transactionOf(tx);
        await rejects(
          nested(async (inner) => {
            await inner.insert(recordWrite('thing', 'inner_failed', {}));
            throw new Error('inner');
          }),
          'the inner transaction',
        );
        assertEqual(await tx.get('thing', 'inner_failed'), null, 'the failed inner write is undone at once');
        await nested(async (inner) => {
          await inner.insert(recordWrite('thing', 'inner_ok', {}));
        });
      });
      assertEqual((await s.get('thing', 'outer'))?.id, 'outer', 'the outer write committed');
      assertEqual((await s.get('thing', 'inner_ok'))?.id, 'inner_ok', 'the inner write committed with it');
      assertEqual(await s.get('thing', 'inner_failed'), null, 'the failed inner write stayed undone');
      await rejects(
        transaction(async (tx) => {
          await transactionOf(tx)(async (inner) => {
            await inner.insert(recordWrite('thing', 'inner_2', {}));
          });
          throw new Error('outer');
        }),
        'the outer transaction',
      );
      assertEqual(await s.get('thing', 'inner_2'), null, 'an outer failure undoes a nested transaction that resolved');
    });

    test('shows no uncommitted write to other callers', async (s) => {
      const transaction = transactionOf(s);
      let reader: Promise<unknown> | undefined;
      await rejects(
        transaction(async (tx) => {
          await tx.insert(recordWrite('thing', 't1', {}, { refs: ['pi_t1'] }));
          reader = Promise.all([s.get('thing', 't1'), s.resolve('pi_t1'), s.list('thing', { limit: 10 })]);
          await sleep(50);
          throw new Error('rolled back');
        }),
        'the transaction',
      );
      assertEqual(await reader, [null, null, []], 'what another caller read while the transaction ran');
    });

    test(`loses no update when ${n} concurrent transactions each read, then update guarded by the version read`, async (s) => {
      const transaction = transactionOf(s);
      await s.insert(recordWrite('counter', 'c', { value: 0 }));
      await race(n, async () => {
        for (let attempt = 0; attempt < 10 * n; attempt++) {
          const applied = await transaction(async (tx) => {
            const current = await tx.get<{ value: number }>('counter', 'c');
            assertTrue(current !== null, 'the counter exists');
            const next = recordWrite('counter', 'c', { value: current.data.value + 1 });
            return (await tx.update('counter', 'c', next, { version: current.version })).applied;
          });
          if (applied) return;
        }
        throw new Error('an increment never applied');
      });
      const record = await s.get<{ value: number }>('counter', 'c');
      assertEqual([record?.data.value, record?.version], [n, n + 1], 'the counter and its version after every increment');
    });
  });
}
