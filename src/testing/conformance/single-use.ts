import type { MarketplaceStorage } from '../../storage/types.js';
import { assertEqual } from './assert.js';
import { recordWrite, stateWrite, T0 } from './fixtures.js';
import { count, type Harness, race } from './harness.js';

/** Single-use records: consumed once, never after they expire. */
export function singleUseConformance<S extends MarketplaceStorage>(h: Harness<S>): void {
  const { n, test } = h;
  h.options.describe('single-use records', () => {
    test('consumes a record once: it is returned, then gone', async (s) => {
      assertEqual(await s.consume('oauth_state', 'nothing', T0), null, 'an unknown record');
      const write = stateWrite('state_1', T0 + 600_000);
      const { record } = await s.insert(write);
      await s.insert(stateWrite('state_2', T0 + 600_000, 'vendor_2'));
      assertEqual(await s.consume('oauth_state', 'state_1', T0), record, 'the first consume');
      assertEqual(await s.consume('oauth_state', 'state_1', T0), null, 'a second consume');
      assertEqual(await s.get('oauth_state', 'state_1'), null, 'get after consume');
      assertEqual((await s.get('oauth_state', 'state_2'))?.id, 'state_2', 'another record is untouched');
    });

    test('refuses, and removes, a record once `now` reaches its expiresAt; null never expires', async (s) => {
      await s.insert(stateWrite('late', T0 + 1_000));
      await s.insert(stateWrite('in_time', T0 + 1_000));
      await s.insert(recordWrite('token', 'forever', { v: 1 }));
      assertEqual(await s.consume('oauth_state', 'late', T0 + 1_000), null, 'consumed at its expiry');
      assertEqual(await s.get('oauth_state', 'late'), null, 'the expired record is removed');
      assertEqual((await s.consume('oauth_state', 'in_time', T0 + 999))?.id, 'in_time', 'consumed 1 ms before expiry');
      assertEqual((await s.consume('token', 'forever', Number.MAX_SAFE_INTEGER))?.data, { v: 1 }, 'expiresAt null');
    });

    test(`gives a record to exactly one of ${n} concurrent consumers`, async (s) => {
      await s.insert(stateWrite('state_1', T0 + 600_000));
      const results = await race(n, () => s.consume('oauth_state', 'state_1', T0));
      assertEqual(
        count(results, (r) => r !== null),
        1,
        'consumers that received the record',
      );
    });
  });
}
