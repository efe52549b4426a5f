import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/storage/memory.js';
import { canTransition, statusesBefore } from '../../src/orders/transitions.js';
import { orderRecord as order, vendorRecord } from '../helpers.js';

describe('order transitions', () => {
  it('never go backwards', () => {
    expect(canTransition('succeeded', 'failed')).toBe(false);
    expect(canTransition('succeeded', 'processing')).toBe(false);
    expect(canTransition('refunded', 'succeeded')).toBe(false);
    expect(canTransition('failed', 'succeeded')).toBe(true); // the customer retried
    expect(canTransition('pending', 'refunded')).toBe(true); // a refund proves the payment
    expect(statusesBefore('succeeded')).toEqual(['pending', 'processing', 'failed']);
  });
});

describe('memoryStorage', () => {
  it('returns copies, so callers cannot change stored state by mutation', async () => {
    const storage = memoryStorage();
    await storage.insertOrder(order());
    const read = (await storage.getOrder('o1')) as { metadata: Record<string, string> };
    read.metadata.x = 'y';
    expect((await storage.getOrder('o1'))?.metadata).toEqual({});
  });

  it('applies an order update only from the allowed statuses, and never lowers amountRefunded', async () => {
    const storage = memoryStorage();
    await storage.insertOrder(order({ paymentIntentId: 'pi_1' }));
    expect((await storage.updateOrder('o1', { status: 'succeeded', from: statusesBefore('succeeded') })).applied).toBe(true);
    const late = await storage.updateOrder('o1', { status: 'failed', from: statusesBefore('failed') });
    expect(late).toMatchObject({ applied: false, order: { status: 'succeeded' } });
    await storage.updateOrder('o1', {
      status: 'partially_refunded',
      from: statusesBefore('partially_refunded'),
      patch: { amountRefunded: 500 },
    });
    await storage.updateOrder('o1', {
      status: 'partially_refunded',
      from: statusesBefore('partially_refunded'),
      patch: { amountRefunded: 300 },
    });
    expect(await storage.getOrder('o1')).toMatchObject({ status: 'partially_refunded', amountRefunded: 500 });
    expect((await storage.updateOrder('missing', { status: 'succeeded' })).order).toBeNull();
    // An undefined patch field leaves the stored value alone.
    await storage.updateOrder('o1', { patch: { paymentIntentId: undefined } });
    expect((await storage.getOrder('o1'))?.paymentIntentId).toBe('pi_1');
  });

  it('keeps vendors indexed by account across an account change', async () => {
    const storage = memoryStorage();
    await storage.insertVendor(vendorRecord());
    const { vendor, ...state } = { vendor: null, ...vendorRecord() };
    void vendor;
    await storage.updateVendor('driver_42', { ...state, accountId: 'acct_2', connection: 'oauth' });
    expect(await storage.getVendorByAccount('acct_1')).toBeNull();
    expect(await storage.getVendorByAccount('acct_2')).toMatchObject({ vendorId: 'driver_42', connection: 'oauth' });
    expect(await storage.updateVendor('ghost', state)).toBeNull();
  });
});

describe('memoryStorage.listVendors', () => {
  it('lists newest first and filters by status', async () => {
    const storage = memoryStorage();
    await storage.insertVendor(vendorRecord({ vendorId: 'a', accountId: 'acct_a', createdAt: 1, status: 'active' }));
    await storage.insertVendor(vendorRecord({ vendorId: 'b', accountId: 'acct_b', createdAt: 2, status: 'onboarding' }));
    await storage.insertVendor(vendorRecord({ vendorId: 'c', accountId: 'acct_c', createdAt: 3, status: 'active' }));
    expect((await storage.listVendors()).map((v) => v.vendorId)).toEqual(['c', 'b', 'a']);
    expect((await storage.listVendors({ statuses: ['active'] })).map((v) => v.vendorId)).toEqual(['c', 'a']);
    expect((await storage.listVendors({ limit: 1 })).map((v) => v.vendorId)).toEqual(['c']);
  });
});
