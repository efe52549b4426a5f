import { memoryStorage } from '../../storage/memory.js';
import { statusesBefore } from '../../orders/transitions.js';
import type { MarketplaceStorage, OrderRecord, OrderStatus, OrderUpdate } from '../../storage/types.js';
import { assertEqual, assertTrue, rejects } from './assert.js';
import { orderRecord, prng, T0, vendorRecord, vendorState } from './fixtures.js';

/** The test functions of any BDD runner: vitest, jest, mocha or `node:test`. */
export interface ConformanceRunner {
  describe: (name: string, fn: () => void) => unknown;
  it: (name: string, fn: () => Promise<void>) => unknown;
}

export interface StorageConformanceOptions<S extends MarketplaceStorage = MarketplaceStorage> extends ConformanceRunner {
  /** Names the suite in the runner's output. */
  name: string;
  /** Returns a fresh, empty storage. Called once for every test. */
  create: () => S | Promise<S>;
  /** Called after every test with what `create` returned: drop its tables, close its connections. */
  cleanup?: (storage: S) => void | Promise<void>;
  /**
   * Whether the storage implements the optional `transaction`. Default true: the transaction tests run and
   * fail when it is missing. Pass false for a store without transactions, and they are not registered.
   */
  transactions?: boolean;
  /** How many concurrent callers the race tests start. Default 50. */
  concurrency?: number;
}

/** `n` concurrent calls of `call`, started together; resolves when all settle, rejecting on the first failure. */
function race<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

function transactionOf(storage: MarketplaceStorage): NonNullable<MarketplaceStorage['transaction']> {
  assertTrue(
    typeof storage.transaction === 'function',
    'storage.transaction is missing: implement it, or pass `transactions: false` when the store has no transactions',
  );
  return storage.transaction.bind(storage);
}

const count = <T>(items: readonly T[], test: (item: T) => boolean) => items.filter(test).length;

/**
 * The definition of a correct `MarketplaceStorage`. Registers one `describe` block of tests with the runner
 * you pass; each test gets a fresh storage from `create` and hands it to `cleanup` afterwards.
 *
 * ```ts
 * import { describe, it } from 'vitest';
 * import { runStorageConformance } from 'stripe-marketplace/testing';
 * runStorageConformance({ name: 'my storage', describe, it, create: () => myStorage() });
 * ```
 */
export function runStorageConformance<S extends MarketplaceStorage>(options: StorageConformanceOptions<S>): void {
  const { describe, it, create, cleanup } = options;
  const n = options.concurrency ?? 50;

  const test = (name: string, body: (storage: S) => Promise<void>) =>
    it(name, async () => {
      const storage = await create();
      try {
        await body(storage);
      } finally {
        await cleanup?.(storage);
      }
    });

  describe(`storage conformance: ${options.name}`, () => {
    describe('vendors', () => {
      test('answers null for a vendor that does not exist', async (s) => {
        assertEqual(await s.getVendor('nobody'), null, 'getVendor of an unknown id');
        assertEqual(await s.getVendorByAccount('acct_nobody'), null, 'getVendorByAccount of an unknown account');
        assertEqual(await s.updateVendor('nobody', vendorState(), T0), null, 'updateVendor of an unknown id');
      });

      test('stores a vendor once and returns it exactly as given', async (s) => {
        const vendor = vendorRecord('v1', {
          status: 'action_required',
          transfersCapability: 'pending',
          chargesEnabled: false,
          requirements: {
            currentlyDue: ['external_account', 'individual.dob.day'],
            pastDue: ['tos_acceptance.date'],
            eventuallyDue: [],
            pendingVerification: ['individual.id_number'],
            disabledReason: 'requirements.past_due',
            currentDeadline: 1_767_312_000,
          },
        });
        assertEqual(await s.insertVendor(vendor), { created: true, vendor }, 'first insertVendor');
        assertEqual(await s.getVendor('v1'), vendor, 'getVendor after insert');
        assertEqual(await s.getVendorByAccount(vendor.accountId), vendor, 'getVendorByAccount after insert');
        const other = vendorRecord('v1', { accountId: 'acct_other', status: 'onboarding', createdAt: T0 + 5 });
        assertEqual(await s.insertVendor(other), { created: false, vendor }, 'a second insertVendor returns the stored vendor');
        assertEqual(await s.getVendor('v1'), vendor, 'the stored vendor is unchanged by a second insert');
        assertEqual(await s.getVendorByAccount('acct_other'), null, 'the losing insert is not findable by its account');
      });

      test(`lets exactly one of ${n} concurrent inserts of the same vendor win`, async (s) => {
        const results = await race(n, (i) => s.insertVendor(vendorRecord('v1', { accountId: `acct_${i}`, createdAt: T0 + i })));
        assertEqual(
          count(results, (r) => r.created),
          1,
          'inserts that report created: true',
        );
        const stored = await s.getVendor('v1');
        assertTrue(stored !== null, 'the vendor is stored');
        for (const result of results) assertEqual(result.vendor, stored, 'every caller receives the stored vendor');
      });

      test('lists vendors newest first, ties by vendorId descending, filtered by status and limited', async (s) => {
        assertEqual(await s.listVendors(), [], 'listVendors of an empty storage');
        const vendors = [
          vendorRecord('b', { createdAt: T0 + 2, status: 'active' }),
          vendorRecord('a', { createdAt: T0 + 2, status: 'onboarding' }),
          vendorRecord('c', { createdAt: T0 + 1, status: 'active' }),
          vendorRecord('Z', { createdAt: T0 + 3, status: 'restricted' }),
          vendorRecord('d', { createdAt: T0 + 2, status: 'rejected' }),
        ];
        for (const vendor of vendors) await s.insertVendor(vendor);
        const ids = (list: { vendorId: string }[]) => list.map((v) => v.vendorId);
        assertEqual(ids(await s.listVendors()), ['Z', 'd', 'b', 'a', 'c'], 'listVendors()');
        assertEqual(ids(await s.listVendors({ statuses: ['active'] })), ['b', 'c'], "listVendors({ statuses: ['active'] })");
        assertEqual(
          ids(await s.listVendors({ statuses: ['active', 'restricted'], limit: 2 })),
          ['Z', 'b'],
          'listVendors({ statuses, limit })',
        );
        assertEqual(ids(await s.listVendors({ limit: 1 })), ['Z'], 'listVendors({ limit: 1 })');
        assertEqual(await s.listVendors({ statuses: [] }), [], 'an empty statuses list matches nothing');
        assertEqual((await s.listVendors())[0], vendors[3], 'listed vendors are complete records');
      });

      test('updates the Stripe-derived state and keeps the identity', async (s) => {
        const vendor = vendorRecord('v1', { status: 'onboarding', detailsSubmitted: false });
        await s.insertVendor(vendor);
        const state = vendorState({ status: 'restricted', payoutsEnabled: false, transfersCapability: 'inactive' });
        const updated = await s.updateVendor('v1', state, T0 + 1000);
        const expected = { ...vendor, ...state, updatedAt: T0 + 1000 };
        assertEqual(updated, expected, 'updateVendor returns the updated vendor');
        assertEqual(await s.getVendor('v1'), expected, 'getVendor after updateVendor');
      });

      test('moves the account lookup when the account changes', async (s) => {
        await s.insertVendor(vendorRecord('v1'));
        const updated = await s.updateVendor('v1', { ...vendorState(), accountId: 'acct_new', connection: 'oauth' }, T0 + 1);
        assertEqual(updated?.accountId, 'acct_new', 'accountId after update');
        assertEqual(updated?.connection, 'oauth', 'connection after update');
        assertEqual(await s.getVendorByAccount('acct_v1'), null, 'the old account finds no vendor');
        assertEqual((await s.getVendorByAccount('acct_new'))?.vendorId, 'v1', 'the new account finds the vendor');
        const kept = await s.updateVendor('v1', vendorState(), T0 + 2);
        assertEqual([kept?.accountId, kept?.connection], ['acct_new', 'oauth'], 'an update without accountId keeps it');
      });
    });

    describe('orders', () => {
      test('answers null for an order that does not exist', async (s) => {
        assertEqual(await s.getOrder('nothing'), null, 'getOrder');
        assertEqual(await s.getOrderByPaymentIntent('pi_nothing'), null, 'getOrderByPaymentIntent');
        assertEqual(await s.getOrderByCheckoutSession('cs_nothing'), null, 'getOrderByCheckoutSession');
        assertEqual(await s.updateOrder('nothing', { status: 'succeeded' }), { applied: false, order: null }, 'updateOrder');
        assertEqual(await s.listOrders(), [], 'listOrders of an empty storage');
      });

      test('stores every field of an order exactly, including large amounts and nested values', async (s) => {
        const order = orderRecord('o1', {
          mode: 'hosted',
          amount: 99_999_999,
          applicationFeeAmount: 12_000_000,
          vendorAmount: 87_999_999,
          currency: 'jpy',
          status: 'partially_refunded',
          paymentIntentId: 'pi_1',
          checkoutSessionId: 'cs_1',
          chargeId: 'ch_1',
          amountRefunded: 5_000_000_000,
          dispute: { id: 'dp_1', status: 'needs_response', amount: 1000 },
          lastPaymentError: {
            code: 'card_declined',
            declineCode: 'insufficient_funds',
            message: 'Your card has "insufficient" funds.',
          },
          description: "Ünïcödé — 注文 'quoted' \\ backslash",
          metadata: { cart: '42', 'emoji 🛒': '✓', empty: '' },
          createdAt: T0 + 1,
          updatedAt: T0 + 2,
        });
        assertEqual(await s.insertOrder(order), { created: true, order }, 'insertOrder');
        assertEqual(await s.getOrder('o1'), order, 'getOrder');
        assertEqual(await s.getOrderByPaymentIntent('pi_1'), order, 'getOrderByPaymentIntent');
        assertEqual(await s.getOrderByCheckoutSession('cs_1'), order, 'getOrderByCheckoutSession');
        assertTrue(typeof (await s.getOrder('o1'))?.amountRefunded === 'number', 'amounts are JavaScript numbers');
      });

      test('returns the stored order to a second insert, so that a conflict can be detected', async (s) => {
        const order = orderRecord('o1');
        await s.insertOrder(order);
        const other = orderRecord('o1', { amount: 3000, vendorId: 'vendor_2', createdAt: T0 + 9 });
        assertEqual(await s.insertOrder(other), { created: false, order }, 'second insertOrder');
        assertEqual(await s.getOrder('o1'), order, 'the stored order is unchanged');
      });

      test(`lets exactly one of ${n} concurrent inserts of the same order win`, async (s) => {
        const results = await race(n, (i) => s.insertOrder(orderRecord('o1', { amount: 1000 + i })));
        assertEqual(
          count(results, (r) => r.created),
          1,
          'inserts that report created: true',
        );
        const stored = await s.getOrder('o1');
        for (const result of results) assertEqual(result.order, stored, 'every caller receives the stored order');
      });

      test('applies a status and a patch together when the status is in `from`', async (s) => {
        const order = orderRecord('o1');
        await s.insertOrder(order);
        const update: OrderUpdate = {
          status: 'succeeded',
          from: ['pending', 'processing'],
          patch: { paymentIntentId: 'pi_9', chargeId: 'ch_9' },
          now: T0 + 10,
        };
        const expected = {
          ...order,
          status: 'succeeded' as const,
          paymentIntentId: 'pi_9',
          chargeId: 'ch_9',
          updatedAt: T0 + 10,
        };
        assertEqual(await s.updateOrder('o1', update), { applied: true, order: expected }, 'updateOrder result');
        assertEqual(await s.getOrder('o1'), expected, 'getOrder after updateOrder');
        assertEqual(await s.getOrderByPaymentIntent('pi_9'), expected, 'the patched PaymentIntent finds the order');
      });

      test('changes nothing when the status is not in `from`, and reports the order as it stands', async (s) => {
        const order = orderRecord('o1', { status: 'succeeded' });
        await s.insertOrder(order);
        const result = await s.updateOrder('o1', {
          status: 'failed',
          from: ['pending'],
          patch: { lastPaymentError: { code: 'card_declined', declineCode: null, message: null }, amountRefunded: 50 },
          now: T0 + 10,
        });
        assertEqual(result, { applied: false, order }, 'updateOrder result');
        assertEqual(await s.getOrder('o1'), order, 'the order is unchanged');
        assertEqual((await s.updateOrder('o1', { status: 'failed', from: [] })).applied, false, 'an empty `from` admits nothing');
      });

      test('applies an update without `from` whatever the status, and sets or clears patched fields', async (s) => {
        const order = orderRecord('o1', {
          status: 'refunded',
          chargeId: 'ch_1',
          dispute: { id: 'dp_1', status: 'won', amount: 5 },
        });
        await s.insertOrder(order);
        const result = await s.updateOrder('o1', {
          patch: { chargeId: null, dispute: null, checkoutSessionId: 'cs_2' },
          now: T0 + 3,
        });
        const expected = { ...order, chargeId: null, dispute: null, checkoutSessionId: 'cs_2', updatedAt: T0 + 3 };
        assertEqual(result, { applied: true, order: expected }, 'updateOrder without from');
        assertEqual(await s.getOrderByCheckoutSession('cs_2'), expected, 'the patched session finds the order');
      });

      test('finds an order only by the PaymentIntent and Checkout Session it carries now', async (s) => {
        await s.insertOrder(orderRecord('o1', { paymentIntentId: 'pi_old', checkoutSessionId: 'cs_old' }));
        const moved = await s.updateOrder('o1', {
          patch: { paymentIntentId: 'pi_new', checkoutSessionId: 'cs_new' },
          now: T0 + 1,
        });
        assertEqual(await s.getOrderByPaymentIntent('pi_old'), null, 'the previous PaymentIntent no longer finds the order');
        assertEqual(await s.getOrderByCheckoutSession('cs_old'), null, 'the previous session no longer finds the order');
        assertEqual(await s.getOrderByPaymentIntent('pi_new'), moved.order, 'the new PaymentIntent finds it');
        assertEqual(await s.getOrderByCheckoutSession('cs_new'), moved.order, 'the new session finds it');
        await s.updateOrder('o1', { patch: { paymentIntentId: null }, now: T0 + 2 });
        assertEqual(await s.getOrderByPaymentIntent('pi_new'), null, 'a cleared PaymentIntent finds nothing');
      });

      test('answers the most recently updated of the orders that carry a PaymentIntent', async (s) => {
        await s.insertOrder(orderRecord('a', { paymentIntentId: 'pi_1', updatedAt: T0 + 1 }));
        await s.insertOrder(orderRecord('b', { paymentIntentId: 'pi_1', updatedAt: T0 + 2 }));
        assertEqual((await s.getOrderByPaymentIntent('pi_1'))?.orderId, 'b', 'the newer of two orders with pi_1');
        await s.updateOrder('b', { patch: { paymentIntentId: 'pi_2' }, now: T0 + 3 });
        assertEqual(
          (await s.getOrderByPaymentIntent('pi_1'))?.orderId,
          'a',
          'once b moved to pi_2, the order still carrying pi_1',
        );
        await s.updateOrder('a', { patch: { chargeId: 'ch_1' }, now: T0 + 4 });
        await s.updateOrder('b', { patch: { paymentIntentId: 'pi_1' }, now: T0 + 5 });
        assertEqual((await s.getOrderByPaymentIntent('pi_1'))?.orderId, 'b', 'b carries pi_1 again and is newer');
      });

      test('never lowers amountRefunded', async (s) => {
        await s.insertOrder(orderRecord('o1', { status: 'succeeded' }));
        await s.updateOrder('o1', { status: 'partially_refunded', patch: { amountRefunded: 700 }, now: T0 + 1 });
        const lower = await s.updateOrder('o1', { patch: { amountRefunded: 300 }, now: T0 + 2 });
        assertEqual(lower.order?.amountRefunded, 700, 'a smaller amountRefunded does not replace a larger one');
        assertEqual(
          (await s.updateOrder('o1', { status: 'refunded', now: T0 + 3 })).order?.amountRefunded,
          700,
          'no patch keeps it',
        );
        // Largest first: an adapter where the last write wins ends below the maximum.
        await race(n, (i) => s.updateOrder('o1', { patch: { amountRefunded: 700 + (n - 1 - i) }, now: T0 + 4 }));
        assertEqual((await s.getOrder('o1'))?.amountRefunded, 700 + n - 1, `the largest of ${n} concurrent refund totals wins`);
      });

      test('moves an order forward only, through the library transitions', async (s) => {
        await s.insertOrder(orderRecord('o1'));
        const move = (to: OrderStatus, now: number) => s.updateOrder('o1', { status: to, from: statusesBefore(to), now });
        const path: OrderStatus[] = ['processing', 'succeeded', 'partially_refunded', 'partially_refunded', 'refunded'];
        for (const [i, to] of path.entries()) {
          const result = await move(to, T0 + i + 1);
          assertEqual([result.applied, result.order?.status], [true, to], `pending -> ... -> ${to}`);
        }
        for (const back of ['pending', 'processing', 'failed', 'succeeded', 'canceled', 'expired'] as const) {
          const result = await move(back, T0 + 100);
          assertEqual([result.applied, result.order?.status], [false, 'refunded'], `refunded -> ${back} is refused`);
        }
      });

      test(`lets exactly one of ${n} concurrent conflicting transitions apply`, async (s) => {
        await s.insertOrder(orderRecord('o1'));
        const targets: OrderStatus[] = ['succeeded', 'canceled', 'expired'];
        const results = await race(n, (i) => {
          const to = targets[i % targets.length] as OrderStatus;
          return s.updateOrder('o1', { status: to, from: ['pending'], patch: { chargeId: `ch_${i}` }, now: T0 + 1 });
        });
        const applied = results.flatMap((r, i) => (r.applied ? [i] : []));
        assertEqual(applied.length, 1, 'updates that applied');
        const winner = applied[0] as number;
        const stored = await s.getOrder('o1');
        assertEqual(
          [stored?.status, stored?.chargeId],
          [targets[winner % targets.length], `ch_${winner}`],
          "the stored order carries the winner's status and patch together",
        );
      });

      test('lists orders newest first, ties by orderId descending, filtered by vendor and limited', async (s) => {
        const orders: OrderRecord[] = [
          orderRecord('b', { createdAt: T0 + 2, vendorId: 'v1' }),
          orderRecord('a', { createdAt: T0 + 2, vendorId: 'v2' }),
          orderRecord('c', { createdAt: T0 + 1, vendorId: 'v1' }),
          orderRecord('Z', { createdAt: T0 + 3, vendorId: 'v2' }),
          orderRecord('d', { createdAt: T0 + 2, vendorId: 'v1' }),
        ];
        for (const order of orders) await s.insertOrder(order);
        const ids = (list: OrderRecord[]) => list.map((o) => o.orderId);
        assertEqual(ids(await s.listOrders()), ['Z', 'd', 'b', 'a', 'c'], 'listOrders()');
        assertEqual(ids(await s.listOrders({ vendorId: 'v1' })), ['d', 'b', 'c'], 'listOrders({ vendorId })');
        assertEqual(ids(await s.listOrders({ limit: 2 })), ['Z', 'd'], 'listOrders({ limit: 2 })');
        assertEqual(ids(await s.listOrders({ vendorId: 'v2', limit: 1 })), ['Z'], 'listOrders({ vendorId, limit })');
        assertEqual(await s.listOrders({ vendorId: 'v3' }), [], 'listOrders of a vendor without orders');
        assertEqual((await s.listOrders())[0], orders[3], 'listed orders are complete records');
      });

      test('lists at most 100 orders by default', async (s) => {
        await race(105, (i) => s.insertOrder(orderRecord(`o${String(i).padStart(3, '0')}`, { createdAt: T0 + i })));
        const list = await s.listOrders();
        assertEqual(list.length, 100, 'default limit');
        assertEqual([list[0]?.orderId, list[99]?.orderId], ['o104', 'o005'], 'the newest 100');
      });
    });

    describe('OAuth states', () => {
      const record = { state: 'state_1', vendorId: 'v1', expiresAt: T0 + 600_000 };

      test('answers null for an unknown state', async (s) => {
        assertEqual(await s.consumeOAuthState('unknown', T0), null, 'consumeOAuthState');
      });

      test('returns a state once, then never again', async (s) => {
        await s.saveOAuthState(record);
        assertEqual(await s.consumeOAuthState('state_1', T0), record, 'first consume');
        assertEqual(await s.consumeOAuthState('state_1', T0), null, 'second consume');
      });

      test('refuses an expired state and deletes it', async (s) => {
        await s.saveOAuthState(record);
        assertEqual(await s.consumeOAuthState('state_1', record.expiresAt), null, 'consume at expiresAt');
        assertEqual(await s.consumeOAuthState('state_1', T0), null, 'an expired state is gone even for an earlier clock');
        await s.saveOAuthState({ ...record, state: 'state_2' });
        assertEqual(
          await s.consumeOAuthState('state_2', record.expiresAt - 1),
          { ...record, state: 'state_2' },
          'consume 1 ms before expiry',
        );
      });

      test(`gives a state to exactly one of ${n} concurrent consumers`, async (s) => {
        await s.saveOAuthState(record);
        const results = await race(n, () => s.consumeOAuthState('state_1', T0));
        assertEqual(
          count(results, (r) => r !== null),
          1,
          'consumers that received the state',
        );
        assertEqual(
          results.find((r) => r !== null),
          record,
          'the winner receives the record',
        );
      });

      test('keeps states apart', async (s) => {
        await s.saveOAuthState(record);
        await s.saveOAuthState({ ...record, state: 'state_2', vendorId: 'v2' });
        assertEqual(await s.consumeOAuthState('state_2', T0), { ...record, state: 'state_2', vendorId: 'v2' }, 'consume state_2');
        assertEqual(await s.consumeOAuthState('state_1', T0), record, 'state_1 is still there');
      });
    });

    describe('webhook events', () => {
      const lease = { leaseMs: 60_000, now: T0, type: 'payment_intent.succeeded' };

      test('claims a new event, and answers in_progress to others while the lease runs', async (s) => {
        const claim = await s.claimEvent('evt_1', lease);
        assertTrue(
          claim.status === 'claimed' && typeof claim.token === 'string' && claim.token.length > 0,
          'the first claim wins',
        );
        assertEqual(
          await s.claimEvent('evt_1', { ...lease, now: T0 + 59_999 }),
          { status: 'in_progress', leaseExpiresAt: T0 + 60_000 },
          'a claim while the lease runs',
        );
      });

      test('completes an event only with its token, and then answers processed for ever', async (s) => {
        const claim = await s.claimEvent('evt_1', lease);
        assertTrue(claim.status === 'claimed', 'claimed');
        assertEqual(await s.completeEvent('evt_1', 'wrong-token', T0 + 1), false, 'completeEvent with another token');
        assertEqual(await s.releaseEvent('evt_1', 'wrong-token'), false, 'releaseEvent with another token');
        assertEqual(await s.completeEvent('evt_1', claim.token, T0 + 1), true, 'completeEvent with the token');
        assertEqual(await s.claimEvent('evt_1', { ...lease, now: T0 + 2 }), { status: 'processed' }, 'claim after completion');
        assertEqual(
          await s.claimEvent('evt_1', { ...lease, now: T0 + 10 * 86_400_000 }),
          { status: 'processed' },
          'claim much later',
        );
        assertEqual(await s.completeEvent('evt_1', claim.token, T0 + 3), false, 'completing twice');
        assertEqual(await s.releaseEvent('evt_1', claim.token), false, 'releasing a processed event');
        assertEqual(await s.completeEvent('evt_unknown', claim.token, T0), false, 'completing an unknown event');
        assertEqual(await s.releaseEvent('evt_unknown', claim.token), false, 'releasing an unknown event');
      });

      test('lets the next delivery claim a released event with a new token', async (s) => {
        const first = await s.claimEvent('evt_1', lease);
        assertTrue(first.status === 'claimed', 'claimed');
        assertEqual(await s.releaseEvent('evt_1', first.token), true, 'release with the token');
        const second = await s.claimEvent('evt_1', { ...lease, now: T0 + 1 });
        assertTrue(second.status === 'claimed' && second.token !== first.token, 'claimed again with a new token');
        assertEqual(await s.completeEvent('evt_1', first.token, T0 + 2), false, 'the released token cannot complete');
        assertEqual(await s.completeEvent('evt_1', second.token, T0 + 2), true, 'the new token completes');
      });

      test('lets a claim take over once the lease has expired; the old token can no longer complete or release', async (s) => {
        const first = await s.claimEvent('evt_1', { ...lease, leaseMs: 1_000 });
        assertTrue(first.status === 'claimed', 'claimed');
        assertEqual((await s.claimEvent('evt_1', { ...lease, now: T0 + 999 })).status, 'in_progress', '1 ms before expiry');
        const second = await s.claimEvent('evt_1', { ...lease, now: T0 + 1_000 });
        assertTrue(second.status === 'claimed' && second.token !== first.token, 'taken over at expiry with a new token');
        assertEqual(
          await s.claimEvent('evt_1', { ...lease, now: T0 + 1_001 }),
          { status: 'in_progress', leaseExpiresAt: T0 + 61_000 },
          'the new lease runs from the takeover',
        );
        assertEqual(await s.completeEvent('evt_1', first.token, T0 + 1_002), false, 'the old token cannot complete');
        assertEqual(await s.releaseEvent('evt_1', first.token), false, 'the old token cannot release');
        assertEqual(await s.completeEvent('evt_1', second.token, T0 + 1_003), true, 'the new token completes');
      });

      test(`gives a new event to exactly one of ${n} concurrent claims`, async (s) => {
        const claims = await race(n, () => s.claimEvent('evt_1', lease));
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
      });

      test(`gives an expired event to exactly one of ${n} concurrent claims`, async (s) => {
        const first = await s.claimEvent('evt_1', { ...lease, leaseMs: 1_000 });
        assertTrue(first.status === 'claimed', 'claimed');
        const claims = await race(n, () => s.claimEvent('evt_1', { ...lease, now: T0 + 5_000 }));
        const winners = claims.filter((c) => c.status === 'claimed');
        assertEqual(winners.length, 1, 'takeovers that won');
        const winner = winners[0];
        assertTrue(winner?.status === 'claimed' && winner.token !== first.token, 'the takeover has a new token');
        assertEqual(await s.completeEvent('evt_1', winner.token, T0 + 5_001), true, 'the winner completes');
      });

      test(`lets exactly one of ${n} concurrent completions and releases with the same token succeed`, async (s) => {
        const claim = await s.claimEvent('evt_1', lease);
        assertTrue(claim.status === 'claimed', 'claimed');
        const results = await race(n, (i) =>
          i % 2 === 0 ? s.completeEvent('evt_1', claim.token, T0 + 1) : s.releaseEvent('evt_1', claim.token),
        );
        assertEqual(count(results, Boolean), 1, 'calls that returned true');
      });

      test('keeps events apart', async (s) => {
        const a = await s.claimEvent('evt_a', lease);
        const b = await s.claimEvent('evt_b', lease);
        assertTrue(a.status === 'claimed' && b.status === 'claimed', 'both claimed');
        assertEqual(await s.completeEvent('evt_b', a.token, T0), false, "one event's token does not complete another");
        assertEqual(await s.completeEvent('evt_a', a.token, T0), true, 'complete evt_a');
        assertEqual((await s.claimEvent('evt_b', lease)).status, 'in_progress', 'evt_b is still held');
      });
    });

    if (options.transactions !== false)
      describe('transactions', () => {
        test('commits every write made through tx when the callback resolves', async (s) => {
          const transaction = transactionOf(s);
          const claim = await s.claimEvent('evt_1', { leaseMs: 60_000, now: T0 });
          assertTrue(claim.status === 'claimed', 'claimed');
          const value = await transaction(async (tx) => {
            await tx.insertOrder(orderRecord('o1'));
            await tx.updateOrder('o1', { status: 'succeeded', from: ['pending'], now: T0 + 1 });
            assertEqual(await tx.completeEvent('evt_1', claim.token, T0 + 1), true, 'completeEvent inside the transaction');
            return 'done';
          });
          assertEqual(value, 'done', "transaction returns the callback's value");
          assertEqual((await s.getOrder('o1'))?.status, 'succeeded', 'the order write committed');
          assertEqual(
            (await s.claimEvent('evt_1', { leaseMs: 60_000, now: T0 + 2 })).status,
            'processed',
            'the completion committed',
          );
        });

        test('rolls back every write made through tx when the callback throws', async (s) => {
          const transaction = transactionOf(s);
          await s.insertOrder(orderRecord('o1'));
          const claim = await s.claimEvent('evt_1', { leaseMs: 60_000, now: T0 });
          assertTrue(claim.status === 'claimed', 'claimed');
          const failure = new Error('handler failed');
          const error = await rejects(
            transaction(async (tx) => {
              await tx.updateOrder('o1', { status: 'succeeded', now: T0 + 1 });
              await tx.insertVendor(vendorRecord('v1'));
              assertEqual(await tx.completeEvent('evt_1', claim.token, T0 + 1), true, 'completeEvent inside the transaction');
              throw failure;
            }),
            'a transaction whose callback throws',
          );
          assertEqual(error === failure, true, "the callback's error is rethrown");
          assertEqual((await s.getOrder('o1'))?.status, 'pending', 'the order write was rolled back');
          assertEqual(await s.getVendor('v1'), null, 'the vendor insert was rolled back');
          assertEqual(
            await s.claimEvent('evt_1', { leaseMs: 60_000, now: T0 + 2 }),
            { status: 'in_progress', leaseExpiresAt: T0 + 60_000 },
            'the event is still held by the claim',
          );
          assertEqual(await s.releaseEvent('evt_1', claim.token), true, 'the claim can still be released');
        });

        test('does not complete, and so rolls back, when the lease was taken over', async (s) => {
          const transaction = transactionOf(s);
          const first = await s.claimEvent('evt_1', { leaseMs: 1_000, now: T0 });
          const second = await s.claimEvent('evt_1', { leaseMs: 60_000, now: T0 + 2_000 });
          assertTrue(first.status === 'claimed' && second.status === 'claimed', 'claimed, then taken over');
          await rejects(
            transaction(async (tx) => {
              await tx.insertOrder(orderRecord('o1'));
              if (!(await tx.completeEvent('evt_1', first.token, T0 + 2_001))) throw new Error('lease lost');
            }),
            'a transaction whose completion finds the lease lost',
          );
          assertEqual(await s.getOrder('o1'), null, "the stale holder's write was rolled back");
          assertEqual(await s.completeEvent('evt_1', second.token, T0 + 2_002), true, 'the new holder completes');
        });
      });

    test('agrees with the reference (memory) storage on a seeded sequence of operations', async (s) => {
      const reference = memoryStorage();
      const random = prng(20_260_101);
      const statuses: OrderStatus[] = [
        'pending',
        'processing',
        'failed',
        'succeeded',
        'partially_refunded',
        'refunded',
        'canceled',
        'expired',
      ];
      const tokens = { adapter: new Map<string, string>(), reference: new Map<string, string>() };
      let now = T0;
      let unique = 0;
      for (let step = 0; step < 300; step++) {
        now += 1 + random.int(3);
        const vendorId = `v${random.int(4)}`;
        const orderId = `o${random.int(6)}`;
        const eventId = `evt_${random.int(5)}`;
        const op = random.int(14);
        const label = `step ${step} (op ${op})`;
        // Every random choice is made before `both`, which runs the same call on each storage.
        const both = async (call: (storage: MarketplaceStorage, which: 'adapter' | 'reference') => Promise<unknown>) => {
          const expected = await call(reference, 'reference');
          const actual = await call(s, 'adapter');
          assertEqual(actual, expected, `${label}: the adapter disagrees with the reference`);
        };
        switch (op) {
          case 0:
            await both((st) =>
              st.insertVendor(vendorRecord(vendorId, { accountId: `acct_${vendorId}`, createdAt: now, updatedAt: now })),
            );
            break;
          case 1: {
            const state = vendorState({
              status: random.pick(['active', 'restricted', 'action_required'] as const),
              chargesEnabled: random.chance(0.5),
            });
            const moved = random.chance(0.2) ? { accountId: `acct_${vendorId}_${++unique}` } : {};
            await both((st) => st.updateVendor(vendorId, { ...state, ...moved }, now));
            break;
          }
          case 2:
            await both(async (st) => [
              await st.getVendor(vendorId),
              await st.getVendorByAccount(`acct_${vendorId}`),
              await st.listVendors({ statuses: ['active', 'restricted'], limit: 3 }),
            ]);
            break;
          case 3:
          case 4: {
            const order = orderRecord(orderId, { vendorId, amount: 100 * (1 + random.int(50)), createdAt: now, updatedAt: now });
            await both((st) => st.insertOrder(order));
            break;
          }
          case 5:
          case 6:
          case 7: {
            const to = random.chance(0.8) ? random.pick(statuses) : undefined;
            const from = random.chance(0.5) && to ? statusesBefore(to) : random.chance(0.5) ? [random.pick(statuses)] : undefined;
            const patch = {
              ...(random.chance(0.3) ? { amountRefunded: random.int(5000) } : {}),
              ...(random.chance(0.2) ? { chargeId: random.chance(0.8) ? `ch_${++unique}` : null } : {}),
              ...(random.chance(0.2)
                ? { dispute: { id: `dp_${unique}`, status: 'needs_response' as const, amount: random.int(900) } }
                : {}),
              ...(random.chance(0.2)
                ? { lastPaymentError: { code: 'card_declined', declineCode: null, message: `m${unique}` } }
                : {}),
            };
            const update: OrderUpdate = { now, patch, ...(to ? { status: to } : {}), ...(from ? { from } : {}) };
            await both((st) => st.updateOrder(orderId, update));
            break;
          }
          case 8:
            await both(async (st) => [
              await st.getOrder(orderId),
              await st.listOrders({ vendorId, limit: 3 }),
              await st.listOrders(),
            ]);
            break;
          case 9: {
            const record = { state: `state_${++unique}`, vendorId, expiresAt: now + random.int(10) };
            await both((st) => st.saveOAuthState(record));
            break;
          }
          case 10: {
            const state = `state_${unique - random.int(3)}`;
            await both((st) => st.consumeOAuthState(state, now));
            break;
          }
          case 11: {
            const leaseMs = 1 + random.int(20);
            await both(async (st, which) => {
              const claim = await st.claimEvent(eventId, { leaseMs, now });
              if (claim.status !== 'claimed') return claim;
              tokens[which].set(eventId, claim.token);
              return { status: 'claimed' };
            });
            break;
          }
          case 12: {
            const stale = random.chance(0.2);
            await both((st, which) => st.completeEvent(eventId, stale ? 'stale' : (tokens[which].get(eventId) ?? 'none'), now));
            break;
          }
          default:
            await both((st, which) => st.releaseEvent(eventId, tokens[which].get(eventId) ?? 'none'));
        }
      }
    });
  });
}
