import type Stripe from 'stripe';
import { invalidRequest, noSuch } from '../errors.js';
import type { Params } from '../params.js';
import type { Store } from './store.js';
import { num, str } from './util.js';

/** The `created` filter of list endpoints: a timestamp, or `{ gt, gte, lt, lte }`. */
function createdFilter(created: unknown): (t: number) => boolean {
  if (created === undefined || created === null) return () => true;
  if (typeof created === 'string') return (t) => t === Number(created);
  const range = created as Record<string, string | undefined>;
  const bound = (k: string) => (range[k] === undefined ? undefined : Number(range[k]));
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (t) =>
    (gt === undefined || t > gt) &&
    (gte === undefined || t >= gte) &&
    (lt === undefined || t < lt) &&
    (lte === undefined || t <= lte);
}

/** A Stripe list of `items` (oldest first), newest first, with `limit`, `created` and cursor pagination. */
export function list<T extends { id?: string; created?: number }>(items: T[], params: Params, url: string): Stripe.ApiList<T> {
  const limit = num(params.limit) ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', { param: 'limit' });
  const inRange = createdFilter(params.created);
  let sorted = items.filter((x) => inRange(x.created ?? 0)).reverse();
  const after = str(params.starting_after);
  const before = str(params.ending_before);
  if (after) {
    const i = sorted.findIndex((x) => x.id === after);
    if (i < 0) throw noSuch('object', after, 'starting_after');
    sorted = sorted.slice(i + 1);
  } else if (before) {
    const i = sorted.findIndex((x) => x.id === before);
    if (i < 0) throw noSuch('object', before, 'ending_before');
    sorted = sorted.slice(Math.max(0, i - limit), i);
  }
  return { object: 'list', data: sorted.slice(0, limit), has_more: sorted.length > limit, url };
}

/** A list of the objects `account` owns in `store`; every parameter besides paging and `created` filters by equality. */
export function listOwned<T>(store: Store<T>, params: Params, account: string, url: string): Stripe.ApiList<T> {
  const filters = Object.entries(params).filter(
    ([k, v]) => !['limit', 'starting_after', 'ending_before', 'expand', 'created'].includes(k) && v !== null,
  );
  const items = [...store.values()]
    .filter((s) => s.owner === account)
    .map((s) => s.obj)
    .filter((obj) => filters.every(([k, v]) => (obj as Record<string, unknown>)[k] === v));
  return list(items as (T & { id?: string })[], params, url) as Stripe.ApiList<T>;
}
