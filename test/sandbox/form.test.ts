import { describe, expect, it } from 'vitest';
import { canonicalJson, parseForm } from '../../src/testing/sandbox/form.js';
import { setup } from './helpers.js';

describe('form decoding', () => {
  it('nests brackets, builds arrays from indices and from []', () => {
    expect(parseForm('a[b][c]=1&a[b][d]=2&list[0][x]=p&list[1][x]=q&expand[]=one&expand[]=two&plain=v%20w+z')).toEqual({
      a: { b: { c: '1', d: '2' } },
      list: [{ x: 'p' }, { x: 'q' }],
      expand: ['one', 'two'],
      plain: 'v w z',
    });
  });

  it('decodes percent-encoded brackets and keeps empty values (unset)', () => {
    expect(parseForm('metadata%5Bk%5D=&metadata%5Bj%5D=v')).toEqual({ metadata: { k: '', j: 'v' } });
  });

  it('orders array items by index without leaving holes', () => {
    expect(parseForm('a[2]=c&a[0]=x')).toEqual({ a: ['x', 'c'] });
  });

  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe(canonicalJson({ a: { c: 'x', d: [1, 2] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });

  it('round-trips what stripe-node encodes: nested objects, arrays of objects, expand', async () => {
    const { sandbox, stripe } = setup();
    const account = await stripe.accounts.create({
      controller: {
        stripe_dashboard: { type: 'express' },
        fees: { payer: 'application' },
        losses: { payments: 'application' },
        requirement_collection: 'stripe',
      },
      capabilities: { transfers: { requested: true } },
      metadata: { 'key with space': 'a&b=c', emoji: '£20 ✓' },
      business_profile: { name: 'Driver [42]', url: 'https://example.com/?a=1&b=2' },
    });
    expect(account.metadata).toEqual({ 'key with space': 'a&b=c', emoji: '£20 ✓' });
    expect(account.business_profile?.name).toBe('Driver [42]');
    expect(account.business_profile?.url).toBe('https://example.com/?a=1&b=2');
    sandbox.completeOnboarding(account.id);
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'gbp', unit_amount: 500, product_data: { name: 'Ride' } }, quantity: 2 },
        { price_data: { currency: 'gbp', unit_amount: 1000, product_data: { name: 'Tip' } }, quantity: 1 },
      ],
      success_url: 'https://example.com/ok?session={CHECKOUT_SESSION_ID}',
      payment_intent_data: { application_fee_amount: 240, transfer_data: { destination: account.id } },
      expand: ['payment_intent'],
    });
    expect(session.amount_total).toBe(2000);
    expect(session.success_url).toBe('https://example.com/ok?session={CHECKOUT_SESSION_ID}');
  });
});
