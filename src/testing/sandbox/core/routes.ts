import type { FormObject } from '../form.js';
import { checkParams, type Params, type SpecObject } from '../params.js';
import type { SandboxCore } from './core.js';
import { listOwned } from './list.js';
import type { StateKey, Store } from './store.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** What a route handler receives. */
export interface ApiRequest {
  /** The account the request acts as: the `Stripe-Account` header, or the platform. */
  account: string;
  /** The parameters, checked against the route's spec (unchecked when the route has none). */
  params: Params;
  /** The `:name` segments of the route's path. */
  path: Record<string, string>;
}

export interface Route {
  method: HttpMethod;
  /** `/v1/...` with `:name` for an id segment (letters, digits, underscores), for example `/v1/charges/:id`. */
  path: string;
  /** The parameter spec checked before the handler runs; `null` passes the parameters through unchecked. */
  params: SpecObject | null;
  /** A check that runs on the raw parameters before the spec (for example a parameter removed in an API version). */
  before?: (core: SandboxCore, raw: FormObject) => void;
  /** Default true: the answer is copied and `expand[]` applies to it. */
  expand?: boolean;
  handler: (core: SandboxCore, request: ApiRequest) => unknown;
}

/** One Stripe resource: its name (for the unrecognized URL error), its routes, and the stores `expand` looks ids up in. */
export interface ResourceModule {
  /** As the "Unrecognized request URL" error lists it, for example `PaymentIntents`. */
  name: string;
  routes: Route[];
  /** Stores of the objects this resource owns; `expand` resolves ids found in them. */
  objects?: StateKey<Store<unknown>>[];
  /** The error for a path under `prefix` that no route matches, when it is not the API's 404. */
  unrecognized?: { prefix: string; error: (method: string, path: string) => Error };
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '(\\w+)';
    })
    .join('\\/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** The routes of every registered resource, read by dispatch, `expand` and the unrecognized URL error. */
export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(readonly modules: readonly ResourceModule[]) {
    this.compiled = modules.flatMap((m) => m.routes.map(compile));
  }

  match(method: string, path: string): { route: Route; path: Record<string, string> } | undefined {
    for (const { route, pattern, names } of this.compiled) {
      if (route.method !== method) continue;
      const found = pattern.exec(path);
      if (!found) continue;
      const captured: Record<string, string> = {};
      names.forEach((name, i) => {
        captured[name] = found[i + 1] as string;
      });
      return { route, path: captured };
    }
    return undefined;
  }

  /** The resources' names as one English list: `a, b and c`. */
  names(): string {
    const names = this.modules.map((m) => m.name);
    return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  }

  /** The special error for an unmatched path, when a resource claims its prefix. */
  unrecognized(method: string, path: string): Error | undefined {
    for (const m of this.modules)
      if (m.unrecognized && path.startsWith(m.unrecognized.prefix)) return m.unrecognized.error(method, path);
    return undefined;
  }

  /**
   * The object with this id in any resource's stores, when `account` may see it: it owns the object, or the object is
   * `account` itself. Without `account`, any owner's object.
   */
  lookup(core: SandboxCore, id: string, account?: string): unknown {
    for (const m of this.modules) {
      for (const key of m.objects ?? []) {
        const found = core.state(key).get(id);
        if (found) return account === undefined || found.owner === account || id === account ? found.obj : undefined;
      }
    }
    return undefined;
  }

  /** Checks `raw` against `route`'s spec. */
  static check(route: Route, core: SandboxCore, raw: FormObject): Params {
    route.before?.(core, raw);
    return route.params ? checkParams(route.params, raw) : (raw as Params);
  }
}

// ---- parameter specs shared by resources ----

export const EXPAND = { expand: 'strings' } as const satisfies SpecObject;

export const LIST: SpecObject = {
  limit: 'integer',
  starting_after: 'string',
  ending_before: 'string',
  expand: 'strings',
  created: 'any',
};

/** `GET url`: the requester's objects in `key`'s store, filtered by the `filters` parameters (compared for equality). */
export function listRoute<T>(key: StateKey<Store<T>>, url: string, filters: SpecObject = {}): Route {
  return {
    method: 'GET',
    path: url,
    params: { ...LIST, ...filters },
    handler: (core, { params, account }) => listOwned(core.state(key), params, account, url),
  };
}

/** `GET url/:id`: one of the requester's objects; any other id is Stripe's "No such `kind`" naming `param`. */
export function retrieveRoute<T>(
  key: StateKey<Store<T>>,
  url: string,
  kind: string,
  param: string,
  spec: SpecObject = EXPAND,
): Route {
  return {
    method: 'GET',
    path: `${url}/:id`,
    params: spec,
    handler: (core, { path, account }) => core.state(key).owned(path.id as string, account, kind, param).obj,
  };
}
