import type { ClaimedEvent, EventClaim, InboxEvent, MarketplaceStorage } from '../../storage/types.js';
import { assertEqual, assertTrue } from './assert.js';
import { inboxEvent } from './fixtures.js';
import { count, type Harness, race } from './harness.js';

/** The one stored event with `id`. */
export async function eventOf(s: MarketplaceStorage, id: string): Promise<InboxEvent> {
  const found = (await s.listEvents({ limit: 1000 })).filter((e) => e.id === id);
  assertTrue(found.length === 1, `event ${id} is stored once`);
  return found[0] as InboxEvent;
}

/** The claim's token; fails when the claim was not won. */
export function tokenOf(claim: EventClaim, what: string): string {
  assertTrue(claim.status === 'claimed', `${what}: expected claimed, received ${JSON.stringify(claim)}`);
  return claim.token;
}

const ids = (claimed: readonly ClaimedEvent[]) => claimed.map((c) => c.event.id);

/** The webhook inbox: claimEvent, claimNextEvents, settleEvent, listEvents. */
export function inboxConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { n, test, shortLeaseMs: lease, longLeaseMs: long } = h;
  h.options.describe('inbox', () => {
    test('stores and claims a new event, keeping every field; others are told in_progress while the lease lasts', async (s) => {
      const input = inboxEvent('evt_1', { account: null, objectId: 'cs_1', source: 'backfill', livemode: true, created: 17 });
      const claim = await s.claimEvent(input, { leaseMs: long });
      const token = tokenOf(claim, 'the first claim');
      assertTrue(token.length > 0 && claim.status === 'claimed' && claim.attempts === 1, 'a token, and attempts 1');
      const event = await eventOf(s, 'evt_1');
      const { receivedAt, leaseExpiresAt, ...rest } = event;
      assertEqual(
        rest,
        { ...input, status: 'processing', attempts: 1, lastError: null, nextAttemptAt: null, processedAt: null },
        'the stored event',
      );
      assertTrue(
        leaseExpiresAt !== null && leaseExpiresAt - receivedAt >= long && leaseExpiresAt - receivedAt < long + 60_000,
        `the lease ends leaseMs after the claim (received ${receivedAt}, lease ends ${leaseExpiresAt})`,
      );
      assertEqual(
        await s.claimEvent(input, { leaseMs: long }),
        { status: 'in_progress', leaseExpiresAt },
        'a second claim while the lease lasts',
      );
    });

    test('settles only with the holder’s token; a processed event answers processed for ever', async (s) => {
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      assertEqual(await s.settleEvent('evt_1', 'wrong', { status: 'processed' }), false, 'another token');
      assertEqual(await s.settleEvent('evt_unknown', token, { status: 'processed' }), false, 'an unknown event');
      assertEqual(await s.settleEvent('evt_1', token, { status: 'processed' }), true, 'the holder settles');
      assertEqual(await s.settleEvent('evt_1', token, { status: 'processed' }), false, 'settling twice');
      assertEqual(await s.settleEvent('evt_1', token, { status: 'failed', error: 'x' }), false, 'failing a processed event');
      assertEqual(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), { status: 'processed' }, 'a claim afterwards');
      assertEqual(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long, lease: false }), { status: 'processed' }, 'queued');
      const event = await eventOf(s, 'evt_1');
      assertTrue(
        event.status === 'processed' && event.attempts === 1 && event.processedAt !== null && event.leaseExpiresAt === null,
        `the processed event: ${JSON.stringify(event)}`,
      );
      assertEqual(await s.claimNextEvents({ limit: 10, leaseMs: long }), [], 'no worker takes a processed event');
    });

    test('queues an event without a lease (lease: false), once; a delivery or a worker then takes it', async (s) => {
      assertEqual(
        await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long, lease: false }),
        { status: 'queued', created: true },
        'new',
      );
      assertEqual(
        await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long, lease: false }),
        { status: 'queued', created: false },
        'again',
      );
      const event = await eventOf(s, 'evt_1');
      assertTrue(event.status === 'pending' && event.attempts === 0 && event.leaseExpiresAt === null, 'stored as pending');
      const claim = await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long });
      assertTrue(claim.status === 'claimed' && claim.attempts === 1, 'a delivery takes the queued event');
      await s.claimEvent(inboxEvent('evt_2'), { leaseMs: long, lease: false });
      const next = await s.claimNextEvents({ limit: 10, leaseMs: long });
      assertEqual(ids(next), ['evt_2'], 'a worker takes the other queued event');
      assertTrue(next[0]?.event.status === 'processing' && next[0].event.attempts === 1, 'as processing, attempts 1');
      assertEqual(await s.settleEvent('evt_2', next[0].token, { status: 'processed' }), true, "the worker's token settles");
    });

    test('releases an event for a retry (pending), keeping the error; a delivery takes it again, attempts counted', async (s) => {
      const first = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      const read = await eventOf(s, 'evt_1');
      const retryAt = read.receivedAt + long;
      assertEqual(await s.settleEvent('evt_1', first, { status: 'pending', error: 'boom', retryAt }), true, 'release');
      const pending = await eventOf(s, 'evt_1');
      assertEqual(
        [pending.status, pending.lastError, pending.nextAttemptAt, pending.leaseExpiresAt, pending.attempts],
        ['pending', 'boom', retryAt, null, 1],
        'the released event',
      );
      assertEqual(await s.claimNextEvents({ limit: 10, leaseMs: long }), [], 'a worker waits for the retry time');
      const second = await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long });
      assertTrue(second.status === 'claimed' && second.attempts === 2 && second.token !== first, 'a delivery takes it now');
      assertEqual(await s.settleEvent('evt_1', first, { status: 'processed' }), false, 'the first token is spent');
    });

    test('marks an event failed, keeping the error; no worker takes it, a delivery or replay does', async (s) => {
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      assertEqual(await s.settleEvent('evt_1', token, { status: 'failed', error: 'handler threw' }), true, 'fail');
      const failed = await eventOf(s, 'evt_1');
      assertEqual([failed.status, failed.lastError, failed.leaseExpiresAt], ['failed', 'handler threw', null], 'failed');
      assertEqual(await s.claimNextEvents({ limit: 10, leaseMs: long }), [], 'workers leave failed events');
      const replay = await s.claimEvent(inboxEvent('evt_1', { source: 'replay' }), { leaseMs: long });
      assertTrue(replay.status === 'claimed' && replay.attempts === 2, 'a replay takes it, attempts 2');
      assertEqual(await s.settleEvent('evt_1', replay.token, { status: 'processed' }), true, 'and settles it');
    });

    test('lets a claim take over once the lease has ended; the old token can no longer settle', async (s) => {
      const first = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: lease }), 'claim');
      assertEqual((await s.claimEvent(inboxEvent('evt_1'), { leaseMs: lease })).status, 'in_progress', 'while the lease lasts');
      await h.elapse(s, lease);
      const second = await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long });
      assertTrue(second.status === 'claimed' && second.token !== first && second.attempts === 2, 'taken over, attempts 2');
      assertEqual((await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long })).status, 'in_progress', 'the new lease holds');
      assertEqual(await s.settleEvent('evt_1', first, { status: 'processed' }), false, 'the old token');
      assertEqual(await s.settleEvent('evt_1', second.token, { status: 'processed' }), true, 'the new token');
    });

    test('hands a worker an event whose holder stopped, once its lease ended', async (s) => {
      const first = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: lease }), 'claim');
      assertEqual(await s.claimNextEvents({ limit: 10, leaseMs: long }), [], 'not while the lease lasts');
      await h.elapse(s, lease);
      const taken = await s.claimNextEvents({ limit: 10, leaseMs: long });
      assertTrue(taken.length === 1 && taken[0]?.event.attempts === 2 && taken[0].token !== first, 'taken, attempts 2');
      assertEqual(await s.settleEvent('evt_1', first, { status: 'processed' }), false, 'the old token');
    });

    test('hands a released event to a worker once its retry time is reached', async (s) => {
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      const { leaseExpiresAt } = await eventOf(s, 'evt_1');
      const retryAt = (leaseExpiresAt as number) - long + lease;
      await s.settleEvent('evt_1', token, { status: 'pending', error: 'later', retryAt });
      await s.claimEvent(inboxEvent('evt_2'), { leaseMs: long, lease: false });
      assertEqual(ids(await s.claimNextEvents({ limit: 10, leaseMs: long })), ['evt_2'], 'before the retry time');
      await h.elapse(s, lease);
      assertEqual(ids(await s.claimNextEvents({ limit: 10, leaseMs: long })), ['evt_1'], 'after it');
    });

    test('hands out due events oldest first, at most `limit` at a time', async (s) => {
      for (const id of ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e']) {
        await s.claimEvent(inboxEvent(id), { leaseMs: long, lease: false });
      }
      const first = await s.claimNextEvents({ limit: 2, leaseMs: long });
      assertEqual(ids(first), ['evt_a', 'evt_b'], 'the first two');
      assertEqual(ids(await s.claimNextEvents({ limit: 10, leaseMs: long })), ['evt_c', 'evt_d', 'evt_e'], 'the rest');
      assertEqual(await s.claimNextEvents({ limit: 10, leaseMs: long }), [], 'none left');
      for (const c of first) assertEqual(await s.settleEvent(c.event.id, c.token, { status: 'processed' }), true, 'settle');
    });

    test(`gives a new event to exactly one of ${n} concurrent claims`, async (s) => {
      const claims = await race(n, () => s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }));
      assertEqual(
        count(claims, (c) => c.status === 'claimed'),
        1,
        'claims that won',
      );
      assertEqual(
        count(claims, (c) => c.status === 'in_progress'),
        n - 1,
        'claims told in_progress',
      );
      assertEqual((await eventOf(s, 'evt_1')).attempts, 1, 'attempts');
    });

    test(`gives an event whose lease ended to exactly one of ${n} concurrent claims`, async (s) => {
      const first = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: lease }), 'claim');
      await h.elapse(s, lease);
      const claims = await race(n, () => s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }));
      const winners = claims.filter((c) => c.status === 'claimed');
      assertEqual(winners.length, 1, 'takeovers that won');
      assertTrue(winners[0]?.status === 'claimed' && winners[0].token !== first, 'the takeover has a new token');
      assertEqual((await eventOf(s, 'evt_1')).attempts, 2, 'attempts');
    });

    test(`lets exactly one of ${n} concurrent settlements with the same token apply`, async (s) => {
      const token = tokenOf(await s.claimEvent(inboxEvent('evt_1'), { leaseMs: long }), 'claim');
      const results = await race(n, (i) =>
        s.settleEvent(
          'evt_1',
          token,
          i % 3 === 0
            ? { status: 'processed' }
            : i % 3 === 1
              ? { status: 'failed', error: `e${i}` }
              : { status: 'pending', error: `e${i}`, retryAt: 0 },
        ),
      );
      assertEqual(count(results, Boolean), 1, 'settlements that returned true');
    });

    test(`never hands one event to two of ${n} concurrent workers`, async (s) => {
      const total = 3 * n;
      for (let i = 0; i < total; i++) await s.claimEvent(inboxEvent(`evt_${i}`), { leaseMs: long, lease: false });
      const batches = await race(n, () => s.claimNextEvents({ limit: 2, leaseMs: long }));
      const taken = batches.flatMap(ids);
      for (;;) {
        const more = ids(await s.claimNextEvents({ limit: 50, leaseMs: long }));
        if (more.length === 0) break;
        taken.push(...more);
      }
      assertEqual(new Set(taken).size, taken.length, 'events handed out twice');
      assertEqual(taken.length, total, 'events handed out');
    });

    test('lists events oldest received first, by status, paged with `after`', async (s) => {
      for (const id of ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e']) {
        await s.claimEvent(inboxEvent(id), { leaseMs: long, lease: id === 'evt_c' ? false : undefined });
      }
      const all = await s.listEvents({ limit: 100 });
      assertEqual(
        all.map((e) => e.id),
        ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e'],
        'every event',
      );
      assertEqual(
        (await s.listEvents({ statuses: ['pending'], limit: 100 })).map((e) => e.id),
        ['evt_c'],
        'pending only',
      );
      assertEqual(await s.listEvents({ statuses: [], limit: 100 }), [], 'empty statuses match nothing');
      const seen: string[] = [];
      let after: { receivedAt: number; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const list = await s.listEvents({ limit: 2, ...(after ? { after } : {}) });
        if (list.length === 0) break;
        seen.push(...list.map((e) => e.id));
        const last = list[list.length - 1] as InboxEvent;
        after = { receivedAt: last.receivedAt, id: last.id };
      }
      assertEqual(seen, ['evt_a', 'evt_b', 'evt_c', 'evt_d', 'evt_e'], 'the pages');
    });
  });
}
