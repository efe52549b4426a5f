import { describe, expect, it } from 'vitest';
import { Marketplace, MarketplaceError, isMarketplaceError, percentage, memoryStorage } from '../src/index.js';
import { testStripe } from './helpers.js';

const base = () => ({ stripe: testStripe(), storage: memoryStorage(), commission: percentage(12) });

describe('new Marketplace(options)', () => {
  it('accepts the documented options', () => {
    expect(
      () =>
        new Marketplace({
          ...base(),
          webhookSecrets: { platform: 'whsec_a', connect: ['whsec_b', 'whsec_c'] },
          livemode: false,
          eventLeaseMs: 30_000,
          webhookToleranceSeconds: 600,
          oauth: { clientId: 'ca_1', stateTtlMs: 60_000 },
          logger: { warn() {} },
          now: () => 0,
        }),
    ).not.toThrow();
  });

  it('refuses an unknown key by name, so a typo cannot pass silently', () => {
    expect(() => new Marketplace({ ...base(), comission: percentage(5) } as never)).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('unknown key "comission"') }),
    );
    expect(() => new Marketplace({ ...base(), webhookSecrets: { platfrom: 'whsec_a' } } as never)).toThrowError(
      /unknown key "platfrom" in webhookSecrets/,
    );
  });

  it.each([
    ['a missing stripe client', { stripe: undefined }, /stripe/],
    ['a secret key instead of a client', { stripe: 'sk_test_123' }, /stripe/],
    ['a missing storage', { storage: undefined }, /storage/],
    ['a commission that is not a function', { commission: 12 }, /commission/],
    [
      'a webhook secret without whsec_',
      { webhookSecrets: { platform: 'sk_test_1' }, livemode: false },
      /webhookSecrets.platform/,
    ],
    ['an empty secret list', { webhookSecrets: { connect: [] }, livemode: false }, /webhookSecrets.connect/],
    ['a lease under a second', { eventLeaseMs: 10 }, /eventLeaseMs/],
    ['a client id that is not ca_', { oauth: { clientId: 'pk_1' } }, /oauth.clientId/],
  ])('refuses %s', (_label, change, message) => {
    expect(() => new Marketplace({ ...base(), ...change } as never)).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringMatching(message) }),
    );
  });

  it('requires livemode when webhook secrets are given', () => {
    expect(() => new Marketplace({ ...base(), webhookSecrets: { platform: 'whsec_a' } })).toThrowError(/set livemode/);
  });

  it('refuses a missing options object', () => {
    expect(() => new Marketplace(undefined as never)).toThrowError(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});

describe('MarketplaceError', () => {
  it('carries a stable code, a prefixed message and the cause', () => {
    const cause = new Error('low level');
    const error = new MarketplaceError('STORAGE_ERROR', 'storage failed', { cause, details: { op: 'x' } });
    expect(error.message).toBe('[stripe-marketplace] storage failed');
    expect(error.code).toBe('STORAGE_ERROR');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ op: 'x' });
    expect(error.name).toBe('MarketplaceError');
    expect(error.declineCode).toBeUndefined();
  });

  it('is recognised by code across copies of the class (ESM and CJS)', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'MarketplaceError', code: 'ORDER_CONFLICT' });
    expect(isMarketplaceError(lookalike)).toBe(true);
    expect(isMarketplaceError(lookalike, 'ORDER_CONFLICT')).toBe(true);
    expect(isMarketplaceError(lookalike, 'STRIPE_ERROR')).toBe(false);
    expect(isMarketplaceError(new Error('x'))).toBe(false);
    expect(isMarketplaceError(null)).toBe(false);
  });
});

describe('list limits', () => {
  it.each([
    [{ limit: 0 }],
    [{ limit: -1 }],
    [{ limit: Number.NaN }],
    [{ limit: 1.5 }],
    [{ limit: 1001 }],
    [{ statuses: ['paid'] }],
    [{ vendor: 'x' }],
  ])('refuses %j', async (options) => {
    const m = new Marketplace(base());
    const listVendors = m.listVendors(options as never);
    const listOrders = m.listOrders(options as never);
    await expect(listOrders).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(listVendors).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('accepts up to 1000', async () => {
    const m = new Marketplace(base());
    await expect(m.listOrders({ limit: 1000 })).resolves.toEqual([]);
    await expect(m.listVendors({ limit: 1000, statuses: ['active'] })).resolves.toEqual([]);
  });
});
