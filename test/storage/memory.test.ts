import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
import type { MarketplaceStorage, StoredRecord } from '../../src/storage/types.js';
import { inboxEvent, orderWrite, recordWrite, stateWrite, T0 } from '../../src/testing/conformance/fixtures.js';

const counter = (value: number) => recordWrite('counter', 'c', { value });

describe('memoryStorage', () => {
  it('copies records in and out: no caller shares mutable state with the store', async () => {
    const storage = memoryStorage();
    const write = orderWrite('o1', { metadata: { a: '1' }, paymentIntentId: 'pi_1' });
    await storage.insert(write);
    (write.data.metadata as Record<string, string>).a = 'changed';
    const read = (await storage.get('order', 'o1')) as StoredRecord<{ metadata: Record<string, string> }>;
    expect(read.data.metadata).toEqual({ a: '1' });
    read.data.metadata.b = '2';
    expect((await storage.get<{ metadata: object }>('order', 'o1'))?.data.metadata).toEqual({ a: '1' });
    expect(Object.isFrozen(read.refs)).toBe(true);
    expect(() => (read.refs as string[]).push('pi_2')).toThrow(TypeError);
  });

  it('reads the inbox times from its own clock', async () => {
    let now = T0;
    const storage = memoryStorage({ now: () => now });
    const claim = await storage.claimEvent(inboxEvent('evt_1'), { leaseMs: 1_000 });
    expect(claim).toMatchObject({ status: 'claimed', attempts: 1 });
    expect(await storage.listEvents({ limit: 1 })).toMatchObject([{ receivedAt: T0, leaseExpiresAt: T0 + 1_000 }]);
    now = T0 + 999;
    expect(await storage.claimEvent(inboxEvent('evt_1'), { leaseMs: 1_000 })).toEqual({
      status: 'in_progress',
      leaseExpiresAt: T0 + 1_000,
    });
    now = T0 + 1_000;
    const second = await storage.claimEvent(inboxEvent('evt_1'), { leaseMs: 1_000 });
    expect(second).toMatchObject({ status: 'claimed', attempts: 2 });
    now = T0 + 1_500;
    await storage.settleEvent('evt_1', (second as { token: string }).token, { status: 'processed' });
    expect(await storage.listEvents({ limit: 1 })).toMatchObject([{ status: 'processed', processedAt: T0 + 1_500 }]);
  });

  it('runs transactions one at a time, so that every read-then-update applies at once', async () => {
    const storage = memoryStorage();
    const transaction = storage.transaction!.bind(storage);
    await storage.insert(counter(0));
    const applied = await Promise.all(
      Array.from({ length: 50 }, () =>
        transaction(async (tx) => {
          const current = (await tx.get<{ value: number }>('counter', 'c'))!;
          await new Promise((resolve) => setTimeout(resolve, 0));
          return (await tx.update('counter', 'c', counter(current.data.value + 1), { version: current.version })).applied;
        }),
      ),
    );
    expect(applied.every(Boolean)).toBe(true);
    expect((await storage.get<{ value: number }>('counter', 'c'))?.data.value).toBe(50);
  });

  it('makes calls on the storage wait for a running transaction, then see what it committed', async () => {
    const storage = memoryStorage();
    const order: string[] = [];
    let outside: Promise<unknown> | undefined;
    await storage.transaction!(async (tx) => {
      await tx.insert(counter(1));
      outside = storage.get('counter', 'c').then((record) => {
        order.push('outside read');
        return record;
      });
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('commit');
    });
    expect(await outside).toMatchObject({ version: 1, data: { value: 1 } });
    expect(order).toEqual(['commit', 'outside read']);
  });

  it('undoes refs, consumes, prunes and inbox changes on rollback', async () => {
    const storage = memoryStorage();
    await storage.insert(stateWrite('s1', T0 + 10));
    await storage.insert(stateWrite('s2', T0 + 10));
    await storage.insert(orderWrite('o1', { paymentIntentId: 'pi_1' }));
    const token = (await storage.claimEvent(inboxEvent('evt_1'), { leaseMs: 60_000 })) as { token: string };
    await storage.settleEvent('evt_1', token.token, { status: 'processed' });
    const before = await storage.listEvents({ limit: 10 });
    await expect(
      storage.transaction!(async (tx) => {
        await tx.consume('oauth_state', 's1', T0);
        expect(await tx.prune({ processedBefore: Number.MAX_SAFE_INTEGER, expiredBefore: Number.MAX_SAFE_INTEGER })).toEqual({
          events: 1,
          records: 1,
        });
        await tx.update('order', 'o1', orderWrite('o1', { paymentIntentId: 'pi_1', chargeId: 'ch_1' }), {});
        expect((await tx.resolve('ch_1'))?.version).toBe(2);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await storage.get('oauth_state', 's1'))?.id).toBe('s1');
    expect((await storage.get('oauth_state', 's2'))?.id).toBe('s2');
    expect(await storage.resolve('ch_1')).toBeNull();
    expect((await storage.resolve('pi_1'))?.version).toBe(1);
    expect(await storage.listEvents({ limit: 10 })).toEqual(before);
  });

  it('refuses a transaction handle used after its transaction ended', async () => {
    const storage = memoryStorage();
    let leaked: MarketplaceStorage | undefined;
    let nestedLeak: MarketplaceStorage | undefined;
    await storage.transaction!(async (tx) => {
      leaked = tx;
      await tx.transaction!(async (inner) => {
        nestedLeak = inner;
      });
      await expect(nestedLeak!.get('counter', 'c')).rejects.toThrow(/transaction has ended/);
      expect(await tx.get('counter', 'c')).toBeNull();
    });
    await expect(leaked!.insert(counter(1))).rejects.toThrow(/transaction has ended/);
    await expect(leaked!.transaction!(async () => undefined)).rejects.toThrow(/transaction has ended/);
    expect(await storage.get('counter', 'c')).toBeNull();
  });
});
