import { randomToken } from '../../../util/random.js';
import { invalidRequest, OAuthError, SandboxApiError } from '../errors.js';
import { canonicalJson, parseForm, type FormObject } from '../form.js';
import type { SandboxCore } from './core.js';
import { RouteTable } from './routes.js';
import { SANDBOX_API_VERSION, type RawRequest, type RawResponse, type RequestContext } from './types.js';
import { clone, header } from './util.js';

/**
 * Handles one API request: authentication, the `Stripe-Account` header, idempotency, routing through the table,
 * `expand`, and Stripe-shaped errors.
 */
export function dispatch(core: SandboxCore, table: RouteTable, raw: RawRequest): RawResponse {
  const url = new URL(raw.path, 'http://sandbox');
  const method = raw.method.toUpperCase();
  const requestId = `req_${randomToken(10)}`;
  const apiVersion = header(raw.headers, 'stripe-version') ?? SANDBOX_API_VERSION;
  const baseHeaders: Record<string, string> = {
    'content-type': 'application/json',
    'request-id': requestId,
    'stripe-version': apiVersion,
  };
  const respond = (status: number, body: unknown, extra: Record<string, string> = {}): RawResponse => ({
    status,
    headers: { ...baseHeaders, ...extra },
    body: JSON.stringify(body, null, 2),
  });
  const auth = header(raw.headers, 'authorization') ?? '';
  const key = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
  if (!key || !/^(sk|rk)_test_/.test(key)) {
    return respond(401, {
      error: {
        type: 'invalid_request_error',
        message: key
          ? `Invalid API Key provided: ${key.slice(0, 8)}****. The sandbox accepts only test-mode secret keys (sk_test_...).`
          : 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth.',
      },
    });
  }
  const stripeAccount = header(raw.headers, 'stripe-account');
  if (stripeAccount !== undefined && stripeAccount !== core.platformId && !core.accounts.has(stripeAccount)) {
    return respond(403, {
      error: {
        type: 'invalid_request_error',
        code: 'account_invalid',
        message: `The provided key '${key.slice(0, 8)}****' does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
      },
    });
  }
  let params: FormObject;
  try {
    params = parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : raw.body);
  } catch {
    return respond(400, {
      error: { type: 'invalid_request_error', message: 'Invalid request body: could not decode the form encoding.' },
    });
  }
  const idempotencyKey = method === 'POST' ? (header(raw.headers, 'idempotency-key') ?? null) : null;
  const account = stripeAccount ?? core.platformId;
  const ctx: RequestContext = { method, path: url.pathname, account, requestId, idempotencyKey, apiVersion };

  let scope: string | null = null;
  let fingerprint = '';
  if (idempotencyKey !== null) {
    if (idempotencyKey.length > 255) {
      return respond(400, {
        error: {
          type: 'invalid_request_error',
          message: 'Idempotency-Key must be at most 255 characters long.',
          param: 'Idempotency-Key',
        },
      });
    }
    scope = `${account} ${idempotencyKey}`;
    fingerprint = `${method} ${url.pathname} ${canonicalJson(params)}`;
    const saved = core.idempotency.find(scope);
    if (saved) {
      if (saved.fingerprint === fingerprint) {
        return { ...saved.response, headers: { ...saved.response.headers, 'idempotent-replayed': 'true' } };
      }
      return respond(400, {
        error: {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        },
      });
    }
  }
  if (idempotencyKey !== null) baseHeaders['idempotency-key'] = idempotencyKey;

  let response: RawResponse;
  let save = false;
  core.current = ctx;
  try {
    response = respond(200, route(core, table, ctx, params));
    save = true;
  } catch (error) {
    if (error instanceof OAuthError) {
      response = respond(400, { error: error.error, error_description: error.message });
    } else if (error instanceof SandboxApiError) {
      response = respond(error.status, { error: error.body });
      save = error.executed;
    } else {
      const message = error instanceof Error ? error.message : String(error);
      response = respond(500, { error: { type: 'api_error', message: `Sandbox internal error: ${message}` } });
    }
  } finally {
    core.current = null;
  }
  if (scope !== null && save) core.idempotency.save(scope, fingerprint, response);
  return response;
}

function route(core: SandboxCore, table: RouteTable, ctx: RequestContext, raw: FormObject): unknown {
  const matched = table.match(ctx.method, ctx.path);
  if (!matched) {
    throw (
      table.unrecognized(ctx.method, ctx.path) ??
      invalidRequest(
        `Unrecognized request URL (${ctx.method}: ${ctx.path}). The stripe-marketplace sandbox simulates ${table.names()}.`,
        { status: 404 },
      )
    );
  }
  const { route: found, path } = matched;
  const params = RouteTable.check(found, core, raw);
  const result = found.handler(core, { account: ctx.account, params, path });
  if (found.expand === false) return result;
  return expand(core, table, clone(result), raw.expand, ctx.account);
}

/** Replaces the ids at each `expand[]` path (`a.b`, `data.a` in lists) with the objects they name. */
function expand(core: SandboxCore, table: RouteTable, value: unknown, paths: unknown, account: string): unknown {
  const list = Array.isArray(paths) ? (paths as string[]) : typeof paths === 'string' ? [paths] : [];
  for (const path of list) expandPath(core, table, value, path.split('.'), account);
  return value;
}

/** Expands only objects the requesting `account` can see (https://docs.stripe.com/expand). */
function expandPath(core: SandboxCore, table: RouteTable, value: unknown, segments: string[], account: string): void {
  if (!value || typeof value !== 'object' || segments.length === 0) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const obj = value as Record<string, unknown>;
  if (head === 'data' && Array.isArray(obj.data)) {
    for (const item of obj.data) expandPath(core, table, item, rest, account);
    return;
  }
  const field = obj[head];
  if (typeof field === 'string') {
    const found = table.lookup(core, field, account);
    if (found) obj[head] = clone(found);
  }
  if (rest.length > 0) expandPath(core, table, obj[head], rest, account);
}
