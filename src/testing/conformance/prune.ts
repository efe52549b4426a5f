import type { MarketplaceStorage } from '../../storage/types.js';
import { assertEqual } from './assert.js';
import { inboxEvent, recordWrite, stateWrite, T0 } from './fixtures.js';
import type { Harness } from './harness.js';
import { eventOf, tokenOf } from './inbox.js';

/** Pruning: processed events and expired single-use records go, nothing else does. */
export function pruneConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { test, longLeaseMs: long } = h;
  h.options.describe('prune', () => {
    test('removes processed events processed before the cut-off and records expired before theirs, nothing else', async (s) => {
      const done = tokenOf(await s.claimEvent(inboxEvent('evt_done'), { leaseMs: long }), 'claim');
      await s.settleEvent('evt_done', done, { status: 'processed' });
      const failed = tokenOf(await s.claimEvent(inboxEvent('evt_failed'), { leaseMs: long }), 'claim');
      await s.settleEvent('evt_failed', failed, { status: 'failed', error: 'x' });
      await s.claimEvent(inboxEvent('evt_held'), { leaseMs: long });
      await s.claimEvent(inboxEvent('evt_queued'), { leaseMs: long, lease: false });
      await s.insert(stateWrite('expired', T0 + 10));
      await s.insert(stateWrite('valid', T0 + 20));
      await s.insert(recordWrite('order', 'o1', { never: 'expires' }));
      const processedAt = (await eventOf(s, 'evt_done')).processedAt as number;

      assertEqual(
        await s.prune({ processedBefore: processedAt, expiredBefore: T0 + 10 }),
        { events: 0, records: 0 },
        'at the cut-offs',
      );
      assertEqual(
        await s.prune({ processedBefore: processedAt + 1, expiredBefore: T0 + 11 }),
        { events: 1, records: 1 },
        'past them',
      );
      assertEqual(
        (await s.listEvents({ limit: 100 })).map((e) => e.id).sort(),
        ['evt_failed', 'evt_held', 'evt_queued'],
        'the events left',
      );
      assertEqual(await s.get('oauth_state', 'expired'), null, 'the expired record is gone');
      assertEqual((await s.get('oauth_state', 'valid'))?.id, 'valid', 'the valid record stays');
      assertEqual((await s.get('order', 'o1'))?.id, 'o1', 'a record without expiresAt stays');
      assertEqual(
        await s.prune({ processedBefore: Number.MAX_SAFE_INTEGER, expiredBefore: Number.MAX_SAFE_INTEGER }),
        { events: 0, records: 1 },
        'pruning everything prunable',
      );
      assertEqual((await s.get('order', 'o1'))?.id, 'o1', 'still there');
    });
  });
}
