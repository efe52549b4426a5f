import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { list } from '../core/list.js';
import { EXPAND, LIST, type ResourceModule } from '../core/routes.js';
import { str } from '../core/util.js';
import { noSuch } from '../errors.js';
import type { Params } from '../params.js';

function listEvents(core: SandboxCore, p: Params, account: string): Stripe.ApiList<Stripe.Event> {
  const types = (p.types as string[] | undefined) ?? (str(p.type) ? [p.type as string] : null);
  const match = (type: string) => !types || types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : type === t));
  return list(
    core.events.of(account).filter((e) => match(e.type)),
    p,
    '/v1/events',
  );
}

/** Events (the log itself, with webhook delivery, lives in the core). */
export const events: ResourceModule = {
  name: 'events',
  routes: [
    {
      method: 'GET',
      path: '/v1/events',
      params: { ...LIST, type: 'string', types: 'strings', created: 'any' },
      handler: (core, { params, account }) => listEvents(core, params, account),
    },
    {
      method: 'GET',
      path: '/v1/events/:id',
      params: EXPAND,
      handler: (core, { path, account }) => {
        const event = core.events.of(account).find((e) => e.id === path.id);
        if (!event) throw noSuch('event', path.id as string);
        return event;
      },
    },
  ],
};
