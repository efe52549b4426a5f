import type { MarketplaceStorage } from '../../storage/types.js';
import { assertEqual, assertTrue } from './assert.js';
import { orderWrite, vendorWrite } from './fixtures.js';
import { count, type Harness, race } from './harness.js';

/** The reference index: Stripe ids resolve to the first record that carried them. */
export function refsConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { n, test } = h;
  h.options.describe('refs', () => {
    test('resolves each Stripe id a record carries to the record as it stands', async (s) => {
      assertEqual(await s.resolve('pi_nothing'), null, 'an unknown id');
      await s.insert(orderWrite('o1', { paymentIntentId: 'pi_1', checkoutSessionId: 'cs_1' }));
      await s.insert(vendorWrite('v1', { accountId: 'acct_1' }));
      assertEqual((await s.resolve('pi_1'))?.id, 'o1', 'pi_1');
      assertEqual((await s.resolve('cs_1'))?.id, 'o1', 'cs_1');
      assertEqual([(await s.resolve('acct_1'))?.kind, (await s.resolve('acct_1'))?.id], ['vendor', 'v1'], 'acct_1');
      const updated = await s.update('order', 'o1', orderWrite('o1', { paymentIntentId: 'pi_1', status: 'succeeded' }), {});
      assertEqual(await s.resolve('pi_1'), updated.record, 'resolve answers the current version');
    });

    test('links the refs an update adds, and none of an update that did not apply', async (s) => {
      await s.insert(orderWrite('o1', { checkoutSessionId: 'cs_1' }));
      await s.update('order', 'o1', orderWrite('o1', { checkoutSessionId: 'cs_1', paymentIntentId: 'pi_1' }), { version: 1 });
      assertEqual((await s.resolve('pi_1'))?.version, 2, 'the added PaymentIntent resolves to the updated record');
      const refused = await s.update('order', 'o1', orderWrite('o1', { chargeId: 'ch_refused' }), { version: 1 });
      assertEqual(refused.applied, false, 'a stale update');
      assertEqual(await s.resolve('ch_refused'), null, 'its ref is not linked');
      await s.update('order', 'o1', orderWrite('o1', { chargeId: 'ch_1' }), { version: 2 });
      assertEqual((await s.resolve('pi_1'))?.id, 'o1', 'a ref the record no longer carries stays linked to it');
      assertEqual((await s.resolve('ch_1'))?.id, 'o1', 'the new ref');
    });

    test('links a Stripe id to the first record that carried it, for good', async (s) => {
      await s.insert(orderWrite('a', { paymentIntentId: 'pi_1' }));
      await s.insert(orderWrite('b', { paymentIntentId: 'pi_1', createdAt: 2 }));
      assertEqual((await s.resolve('pi_1'))?.id, 'a', 'a second record carrying pi_1 does not take it over');
      await s.update('order', 'b', orderWrite('b', { paymentIntentId: 'pi_1', status: 'succeeded' }), {});
      assertEqual((await s.resolve('pi_1'))?.id, 'a', 'nor does an update of the second record');
      const loser = await s.insert(orderWrite('a', { paymentIntentId: 'pi_x' }));
      assertEqual(loser.created, false, 'an insert of an existing id');
      assertEqual(await s.resolve('pi_x'), null, 'does not link its refs');
    });

    test(`links a Stripe id carried by ${n} records inserted at once to exactly one of them`, async (s) => {
      const results = await race(n, (i) => s.insert(orderWrite(`o${i}`, { paymentIntentId: 'pi_shared' })));
      assertEqual(
        count(results, (r) => r.created),
        n,
        'every record is stored',
      );
      const first = await s.resolve('pi_shared');
      assertTrue(first !== null && first.kind === 'order', 'pi_shared resolves to an order');
      assertEqual(await s.resolve('pi_shared'), first, 'and keeps resolving to it');
    });
  });
}
