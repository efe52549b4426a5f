// The example's pages as pure functions of the records and the clock: no server, no timers.
import { MarketplaceError, type OrderRecord } from 'stripe-marketplace';
import { describe, expect, it } from 'vitest';
import { T0, orderRecord, vendorRecord, vendorState } from '../../src/testing/conformance/fixtures.js';
import { errorReply } from '../../examples/shared/routes.js';
import { REFRESH_STOP_MS, orderPage, platformPage, refreshSeconds, vendorStatusPage } from '../../examples/shared/views.js';

/** A hosted order created and last changed at T0. */
const order = (fields: Partial<OrderRecord> = {}): OrderRecord =>
  orderRecord('order_1', { mode: 'hosted', checkoutSessionId: 'cs_test_1', ...fields });

const DECLINE = { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' };
const refreshMeta = (html: string) => /<meta http-equiv="refresh" content="(\d+)">/.exec(html)?.[1];

describe('the order page refresh policy', () => {
  it('reloads every second right after a change, backs off with quiet time, and stops after 15 minutes', () => {
    const pending = order();
    expect(refreshSeconds(pending, T0)).toBe(1);
    expect(refreshSeconds(pending, T0 + 9_999)).toBe(1);
    expect(refreshSeconds(pending, T0 + 60_000)).toBe(6);
    expect(refreshSeconds(pending, T0 + 5 * 60_000)).toBe(30);
    expect(refreshSeconds(pending, T0 + REFRESH_STOP_MS - 1)).toBe(30);
    expect(refreshSeconds(pending, T0 + REFRESH_STOP_MS)).toBeUndefined();
    expect(REFRESH_STOP_MS).toBe(15 * 60_000);
  });

  it('keeps refreshing a processing or failed order (a failed payment may be retried), not a settled one', () => {
    for (const status of ['pending', 'processing', 'failed'] as const) {
      expect(refreshSeconds(order({ status }), T0 + 1_000)).toBe(1);
    }
    for (const status of ['succeeded', 'partially_refunded', 'refunded', 'canceled', 'expired'] as const) {
      expect(refreshSeconds(order({ status }), T0 + 1_000)).toBeUndefined();
      expect(refreshMeta(orderPage(order({ status }), T0 + 1_000))).toBeUndefined();
    }
  });

  it('renders the delay as a meta refresh, and a reload link once it stopped', () => {
    expect(refreshMeta(orderPage(order(), T0 + 60_000))).toBe('6');
    const stopped = orderPage(order(), T0 + REFRESH_STOP_MS);
    expect(refreshMeta(stopped)).toBeUndefined();
    expect(stopped).toContain('stopped refreshing');
    expect(stopped).toContain('<a href="/orders/order_1">Reload</a>');
  });
});

describe('the order page and the last payment error', () => {
  it('shows the decline only while the order is failed', () => {
    expect(orderPage(order({ status: 'failed', lastPaymentError: DECLINE }), T0)).toContain('generic_decline');
    // A succeeded order may still carry the earlier decline; the payer must not see it.
    const paid = orderPage(order({ status: 'succeeded', lastPaymentError: DECLINE }), T0);
    expect(paid).not.toContain('generic_decline');
    expect(paid).not.toContain('declined');
    expect(orderPage(order({ status: 'succeeded', lastPaymentError: null }), T0)).not.toContain('declined');
  });
});

describe('the platform page', () => {
  it('marks open orders that have not changed for 15 minutes as abandoned, and nothing else', () => {
    const html = platformPage(
      [
        order({ orderId: 'order_old', updatedAt: T0 }),
        order({ orderId: 'order_new', updatedAt: T0 + REFRESH_STOP_MS }),
        order({ orderId: 'order_paid', status: 'succeeded', updatedAt: T0 }),
      ],
      T0 + REFRESH_STOP_MS,
    );
    const row = (id: string) => new RegExp(`<tr data-order="${id}">([\\s\\S]*?)</tr>`).exec(html)![1]!;
    expect(row('order_old')).toContain('abandoned');
    expect(row('order_new')).not.toContain('abandoned');
    expect(row('order_paid')).not.toContain('abandoned');
  });
});

describe('the driver page', () => {
  it('lists each requirement once: Stripe lists a past-due field in currently_due as well', () => {
    // https://docs.stripe.com/api/accounts/object#account_object-requirements-currently_due
    const vendor = vendorRecord('driver_1', {
      ...vendorState({
        status: 'action_required',
        chargesEnabled: false,
        payoutsEnabled: false,
        transfersCapability: 'inactive',
        requirements: {
          currentlyDue: ['individual.dob.day', 'external_account'],
          pastDue: ['external_account'],
          eventuallyDue: ['individual.dob.day', 'external_account'],
          pendingVerification: [],
          disabledReason: 'requirements.past_due',
          currentDeadline: null,
        },
      }),
    });
    const items = [...vendorStatusPage(vendor).matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(items.sort()).toEqual(['external_account', 'individual.dob.day']);
  });
});

describe('error replies', () => {
  it('answer each refused request with its status and a message for the visitor, not the library message', () => {
    const cases = [
      ['INVALID_INPUT', 400, 'Bad request'],
      ['VENDOR_NOT_FOUND', 404, 'Not found'],
      ['VENDOR_NOT_READY', 409, 'Conflict'],
      ['ORDER_CONFLICT', 409, 'Conflict'],
      ['STRIPE_ERROR', 502, 'Stripe is not answering'],
      ['STORAGE_ERROR', 500, 'Something went wrong'],
    ] as const;
    for (const [code, status, title] of cases) {
      const reply = errorReply(new MarketplaceError(code, 'internal detail: vendor "x" row 42'));
      const html = 'html' in reply ? reply.html : '';
      expect({ code, status: reply.status, title: /<h1>([^<]*)<\/h1>/.exec(html)?.[1] }).toEqual({ code, status, title });
      expect(html).not.toContain('internal detail');
    }
    const unknown = errorReply(new Error('boom'));
    expect(unknown.status).toBe(500);
    expect('html' in unknown && unknown.html).not.toContain('boom');
  });
});
