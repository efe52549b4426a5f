import { describe, expect, it } from 'vitest';
import { SandboxCore } from '../../src/testing/sandbox/core/core.js';
import { dispatch } from '../../src/testing/sandbox/core/dispatch.js';
import { EXPAND, type ResourceModule, RouteTable } from '../../src/testing/sandbox/core/routes.js';
import { defineStore } from '../../src/testing/sandbox/core/store.js';
import { RESOURCES } from '../../src/testing/sandbox/resources/index.js';
import { setup } from './helpers.js';

const AUTH = { authorization: 'Bearer sk_test_routes' };

function get(core: SandboxCore, table: RouteTable, path: string) {
  const raw = dispatch(core, table, { method: 'GET', host: 'sandbox', path, headers: AUTH, body: '' });
  return { status: raw.status, body: JSON.parse(raw.body) as Record<string, unknown> };
}

function post(core: SandboxCore, table: RouteTable, path: string, body: string) {
  const raw = dispatch(core, table, { method: 'POST', host: 'sandbox', path, headers: AUTH, body });
  return { status: raw.status, body: JSON.parse(raw.body) as Record<string, unknown> };
}

describe('the route table', () => {
  it('registers each method and path once', () => {
    const keys = RESOURCES.flatMap((m) => m.routes.map((r) => `${r.method} ${r.path}`));
    expect(keys.length).toBeGreaterThan(30);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names every registered resource in the unrecognized URL error, with a 404', async () => {
    const { stripe } = setup();
    const error = await stripe.rawRequest('GET', '/v1/issuing/cards').then(
      () => null,
      (e: { statusCode?: number; message: string }) => e,
    );
    expect(error?.statusCode).toBe(404);
    // The list grows with every module; its start and its shape stay fixed.
    expect(error?.message).toMatch(
      /^Unrecognized request URL \(GET: \/v1\/issuing\/cards\)\. The stripe-marketplace sandbox simulates accounts, account links, login links, OAuth, PaymentIntents, charges, refunds, transfers, application fees, balances, Checkout Sessions, events(, [^,]+)* and [^,]+\.$/,
    );
    for (const m of RESOURCES) expect(error?.message).toContain(` ${m.name}`);
  });

  it('dispatches a new resource module: its spec is checked, its objects expand, its name joins the 404', () => {
    const WIDGETS = defineStore<{ id: string; object: 'widget'; charge: string | null }>('widgets');
    const widgets: ResourceModule = {
      name: 'widgets',
      objects: [WIDGETS],
      routes: [
        {
          method: 'POST',
          path: '/v1/widgets',
          params: { ...EXPAND, charge: 'string' },
          handler: (core, { params, account }) => {
            const widget = { id: core.id('wdg'), object: 'widget' as const, charge: (params.charge as string) ?? null };
            core.state(WIDGETS).set(widget.id, account, widget);
            return widget;
          },
        },
        {
          method: 'GET',
          path: '/v1/widgets/:id',
          params: EXPAND,
          handler: (core, { path, account }) => core.state(WIDGETS).owned(path.id as string, account, 'widget', 'id').obj,
        },
      ],
    };
    const table = new RouteTable([...RESOURCES, widgets]);
    const core = new SandboxCore();

    const refused = post(core, table, '/v1/widgets', 'colour=red');
    expect(refused.status).toBe(400);
    expect((refused.body.error as { code: string }).code).toBe('parameter_unknown');

    const first = post(core, table, '/v1/widgets', '').body;
    const second = post(core, table, '/v1/widgets', `charge=${first.id as string}`).body;
    const expanded = get(core, table, `/v1/widgets/${second.id as string}?expand[]=charge`).body;
    expect(expanded.charge).toEqual(first);

    const missing = get(core, table, '/v1/gadgets');
    expect(missing.status).toBe(404);
    expect((missing.body.error as { message: string }).message).toMatch(/Checkout Sessions, events(, [^,]+)* and widgets\.$/);
  });
});
