import type Stripe from 'stripe';
import { currencyInfo, formatAmount, MAX_AMOUNT } from '../../core/money/currencies.js';
import { divideAndRound } from '../../core/money/commission.js';
import { randomToken } from '../../util/random.js';
import { canonicalJson, parseForm, type FormObject } from './form.js';
import { SandboxApiError, cardError, invalidRequest, missingParam, noSuch, unexpectedState } from './errors.js';
import { checkParams, type Params, type SpecObject } from './params.js';
import {
  accountRequirements,
  newAccount,
  newApplicationFee,
  newBalanceTransaction,
  newCharge,
  newCheckoutSession,
  newFeeRefund,
  newPaymentIntent,
  newRefund,
  newTransfer,
  newTransferReversal,
  type CardInfo,
} from './objects.js';
import { cardOutcome, TEST_CARD_NUMBERS } from './cards.js';
import {
  WebhookDispatcher,
  type DeliveryAttempt,
  type FlushResult,
  type WebhookDeliveryOptions,
  type WebhookEndpoint,
  type WebhookEndpointOptions,
} from './webhooks.js';
import { checkoutPage, messagePage, onboardingPage } from './pages.js';

/** The API version the sandbox answers as: the one stripe-node 23 pins. */
export const SANDBOX_API_VERSION = '2026-10-28.endive';
/** From this API version on, `payment_method_types` is no longer writable. */
const PAYMENT_METHOD_TYPES_REMOVED = '2026-09-30';
const ACCOUNT_LINK_TTL_SECONDS = 300;
const CHECKOUT_TTL_SECONDS = 24 * 3600;
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export interface SandboxOptions {
  /** The clock, in milliseconds since the epoch. Default `Date.now`. `advanceTime` moves it further. */
  now?: () => number;
  /**
   * Stripe's processing fee, charged to the account that takes the payment (the platform, for destination
   * charges): `basisPoints` of the amount (rounded half up) plus `fixed` minor units. Default none, so that
   * balances show only the marketplace's own money movements.
   */
  processingFee?: { basisPoints?: number; fixed?: number };
  /** The platform's starting available balance per currency, in minor units (for transfers without a source charge). */
  platformBalance?: Record<string, number>;
  /** Webhook delivery and fault injection. */
  webhooks?: WebhookDeliveryOptions;
  /**
   * Origin of hosted pages (account links, Checkout, login links). Default `http://stripe-sandbox.invalid` until
   * `listen()` is called, then the listening address. `sandbox.fetch(request)` serves them whatever the host.
   */
  baseUrl?: string;
}

/** A request as the transports hand it to the sandbox. */
export interface RawRequest {
  method: string;
  host: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SandboxBalance {
  /** `'platform'` or the connected account's id. */
  readonly account: string;
  readonly currency: string;
  /** Available balance in minor units (the sandbox settles at once: nothing stays pending). */
  readonly available: number;
}

interface Stored<T> {
  owner: string;
  obj: T;
}

interface ChargeMeta {
  transfer: string | null;
  fee: string | null;
  /** The account that paid the application fee (the destination, or the merchant of a direct charge). */
  feePayer: string | null;
  reversedByRefunds: number;
  feeRefundedByRefunds: number;
}

interface SessionExtra {
  lineItems: { name: string; quantity: number; unitAmount: number }[];
  intentData: Params;
}

interface LinkState {
  account: string;
  refreshUrl: string;
  returnUrl: string;
  expiresAt: number;
  state: 'new' | 'opened' | 'used';
}

interface RequestContext {
  method: string;
  path: string;
  /** The account the request acts as: the `Stripe-Account` header, or the platform. */
  account: string;
  params: FormObject;
  requestId: string;
  idempotencyKey: string | null;
  apiVersion: string;
}

function header(headers: RawRequest['headers'], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

function meta(value: unknown): Record<string, string> {
  return (value && typeof value === 'object' ? { ...(value as Record<string, string>) } : {}) as Record<string, string>;
}

const EXPAND = { expand: 'strings' } as const;

/**
 * A stateful, offline simulation of the part of Stripe that Connect marketplaces use. Create it with
 * `createSandbox()`; see the README section "Testing with the offline sandbox".
 */
export class Sandbox {
  /** The platform's own account id. */
  readonly platformId: string;
  private readonly clock: () => number;
  private offsetMs = 0;
  private readonly tag = randomToken(6).replace(/[-_]/g, 'x');
  private counter = 0;
  private origin: string;
  private readonly webhooks: WebhookDispatcher;
  private readonly feeBasisPoints: number;
  private readonly feeFixed: number;

  private readonly accounts = new Map<string, Stripe.Account>();
  private readonly intents = new Map<string, Stored<Stripe.PaymentIntent>>();
  private readonly charges = new Map<string, Stored<Stripe.Charge>>();
  private readonly chargeMeta = new Map<string, ChargeMeta>();
  private readonly refunds = new Map<string, Stored<Stripe.Refund>>();
  private readonly transfers = new Map<string, Stored<Stripe.Transfer>>();
  private readonly reversals = new Map<string, Stored<Stripe.TransferReversal>>();
  private readonly fees = new Map<string, Stored<Stripe.ApplicationFee>>();
  private readonly balanceTransactions = new Map<string, Stored<Stripe.BalanceTransaction>>();
  private readonly sessions = new Map<string, Stored<Stripe.Checkout.Session>>();
  private readonly sessionExtra = new Map<string, SessionExtra>();
  private readonly eventList: Stripe.Event[] = [];
  private readonly links = new Map<string, LinkState>();
  private readonly loginLinks = new Map<string, { account: string; used: boolean }>();
  private readonly oauthCodes = new Map<string, string>();
  private readonly idempotency = new Map<string, { fingerprint: string; response: RawResponse; savedAt: number }>();
  private current: RequestContext | null = null;

  constructor(options: SandboxOptions = {}) {
    this.clock = options.now ?? Date.now;
    this.origin = (options.baseUrl ?? 'http://stripe-sandbox.invalid').replace(/\/+$/, '');
    this.feeBasisPoints = options.processingFee?.basisPoints ?? 0;
    this.feeFixed = options.processingFee?.fixed ?? 0;
    for (const value of [this.feeBasisPoints, this.feeFixed]) {
      if (!Number.isSafeInteger(value) || value < 0)
        throw new TypeError('createSandbox: processingFee takes non-negative integers');
    }
    this.platformId = this.id('acct');
    this.webhooks = new WebhookDispatcher(
      options.webhooks ?? {},
      () => this.nowMs(),
      (prefix) => this.id(prefix),
      () => `whsec_${randomToken(24)}`,
    );
    for (const [currency, amount] of Object.entries(options.platformBalance ?? {})) {
      if (!Number.isSafeInteger(amount))
        throw new TypeError('createSandbox: platformBalance amounts are integers in minor units');
      const txn = this.ledger(
        this.platformId,
        amount,
        0,
        currency.toLowerCase(),
        'adjustment',
        'other_adjustment',
        this.id('adj'),
        'Starting balance',
      );
      void txn;
    }
  }

  // ---- clock, ids ------------------------------------------------------------------------------------

  /** The sandbox's clock in milliseconds. */
  nowMs(): number {
    return this.clock() + this.offsetMs;
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Moves the sandbox's clock forward, for example past an account link's expiry. */
  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError('advanceTime takes a non-negative number of milliseconds');
    this.offsetMs += ms;
  }

  private id(prefix: string): string {
    this.counter += 1;
    return `${prefix}_1Sbx${this.tag}${this.counter.toString().padStart(6, '0')}`;
  }

  /** The origin that hosted-page URLs start with. */
  get baseUrl(): string {
    return this.origin;
  }

  /** @internal Used by `listen()`. */
  setBaseUrl(url: string): void {
    this.origin = url.replace(/\/+$/, '');
  }

  // ---- webhooks --------------------------------------------------------------------------------------

  /** Registers an endpoint (a URL or an in-process handler) and returns its id and signing secret. */
  addWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
    return this.webhooks.addEndpoint(options);
  }

  /** Delivers every pending event now (retrying failures at once, up to the retry limit) and reports the attempts. */
  flushWebhooks(): Promise<FlushResult> {
    return this.webhooks.flush();
  }

  /** Every webhook delivery attempt so far. */
  deliveries(): readonly DeliveryAttempt[] {
    return this.webhooks.attempts();
  }

  /** Every event emitted so far, oldest first (platform and Connect events). */
  events(): Stripe.Event[] {
    return clone(this.eventList);
  }

  /** Stops timers (pending automatic deliveries). */
  close(): void {
    this.webhooks.close();
  }

  private emit(type: string, object: { id?: string }, owner: string, previous?: Record<string, unknown>): void {
    const account = owner === this.platformId ? undefined : owner;
    const data: { object: unknown; previous_attributes?: Record<string, unknown> } = { object: clone(object) };
    if (previous) data.previous_attributes = clone(previous);
    const event = {
      id: this.id('evt'),
      object: 'event',
      api_version: SANDBOX_API_VERSION,
      created: this.nowSeconds(),
      data,
      livemode: false,
      pending_webhooks: this.webhooks.countFor({ type, account } as Stripe.Event),
      request: { id: this.current?.requestId ?? null, idempotency_key: this.current?.idempotencyKey ?? null },
      type,
      ...(account ? { account } : {}),
    } as unknown as Stripe.Event;
    this.eventList.push(event);
    this.webhooks.enqueue(event);
  }

  // ---- money -----------------------------------------------------------------------------------------

  private ledger(
    account: string,
    amount: number,
    fee: number,
    currency: string,
    type: Stripe.BalanceTransaction.Type,
    reportingCategory: string,
    source: string,
    description: string | null = null,
  ): Stripe.BalanceTransaction {
    const txn = newBalanceTransaction({
      id: this.id('txn'),
      created: this.nowSeconds(),
      amount,
      fee,
      currency,
      type,
      reportingCategory,
      source,
      description,
    });
    this.balanceTransactions.set(txn.id, { owner: account, obj: txn });
    return txn;
  }

  private available(account: string, currency: string): number {
    let sum = 0;
    for (const { owner, obj } of this.balanceTransactions.values()) {
      if (owner === account && obj.currency === currency) sum += obj.net;
    }
    return sum;
  }

  /** Available balances of the platform and every connected account, per currency, in minor units. */
  balances(): SandboxBalance[] {
    const totals = new Map<string, number>();
    for (const { owner, obj } of this.balanceTransactions.values()) {
      const key = `${owner} ${obj.currency}`;
      totals.set(key, (totals.get(key) ?? 0) + obj.net);
    }
    for (const id of this.accounts.keys()) if (![...totals.keys()].some((k) => k.startsWith(`${id} `))) totals.set(`${id} -`, 0);
    const rows: SandboxBalance[] = [];
    for (const [key, available] of totals) {
      const [owner, currency] = key.split(' ') as [string, string];
      if (currency === '-') continue;
      rows.push({ account: owner === this.platformId ? 'platform' : owner, currency, available });
    }
    return rows.sort((a, b) =>
      a.account === b.account
        ? a.currency.localeCompare(b.currency)
        : a.account === 'platform'
          ? -1
          : b.account === 'platform'
            ? 1
            : a.account.localeCompare(b.account),
    );
  }

  private processingFee(amount: number): number {
    if (this.feeBasisPoints === 0 && this.feeFixed === 0) return 0;
    return Number(divideAndRound(BigInt(amount) * BigInt(this.feeBasisPoints), 10_000n, 'half_up')) + this.feeFixed;
  }

  /**
   * What a refund returns of `total` (a transfer or an application fee): its share of the charge's cumulative refunded
   * amount (`total * refundedAfter / chargeAmount`, rounded half up in integers), minus what earlier refunds returned,
   * and never more than is left. Computing on the cumulative total makes the parts add up to `total` exactly.
   */
  private nextShare(total: number, returnedByRefunds: number, left: number, refundedAfter: number, chargeAmount: number): number {
    const share = Number(divideAndRound(BigInt(total) * BigInt(refundedAfter), BigInt(chargeAmount), 'half_up'));
    return Math.min(share - returnedByRefunds, left);
  }

  // ---- test helpers ----------------------------------------------------------------------------------

  /** The account, as Stripe would return it. Throws when unknown. */
  account(accountId: string): Stripe.Account {
    return clone(this.requireAccount(accountId));
  }

  /**
   * Finishes onboarding for a connected account, as if the vendor completed the hosted form: requirements are
   * cleared, requested capabilities become active, details are submitted and payouts enabled. Emits
   * `capability.updated` and `account.updated` (Connect events).
   */
  completeOnboarding(accountId: string): Stripe.Account {
    const account = this.requireAccount(accountId);
    const previous = {
      capabilities: clone(account.capabilities),
      charges_enabled: account.charges_enabled,
      details_submitted: account.details_submitted,
      payouts_enabled: account.payouts_enabled,
      requirements: clone(account.requirements),
    };
    const capabilities = (account.capabilities ?? {}) as Record<string, string>;
    for (const name of Object.keys(capabilities)) {
      if (capabilities[name] !== 'active') {
        capabilities[name] = 'active';
        this.emit('capability.updated', this.capabilityObject(account, name), account.id, { status: 'inactive' });
      }
    }
    account.details_submitted = true;
    account.payouts_enabled = true;
    account.charges_enabled = capabilities.card_payments === 'active';
    account.requirements = accountRequirements([]);
    account.tos_acceptance = { date: this.nowSeconds(), ip: '127.0.0.1', user_agent: null };
    this.emit('account.updated', account, account.id, previous);
    return clone(account);
  }

  private capabilityObject(account: Stripe.Account, name: string) {
    return {
      id: name,
      object: 'capability',
      account: account.id,
      requested: true,
      requested_at: account.created,
      requirements: accountRequirements([]),
      status: (account.capabilities as Record<string, string>)[name],
    };
  }

  /**
   * Mints a single-use OAuth authorization code, as Stripe's authorize page would after the user connects.
   * Without `accountId`, a new Standard account (already onboarded) is created for it.
   */
  createOAuthCode(accountId?: string): { code: string; accountId: string } {
    let id = accountId;
    if (id === undefined) {
      id = this.createAccount({ type: 'standard' }, this.platformId).id;
      this.completeOnboarding(id);
    } else this.requireAccount(id);
    const code = `ac_${randomToken(24)}`;
    this.oauthCodes.set(code, id);
    return { code, accountId: id };
  }

  /**
   * Pays an open Checkout Session as the hosted page does, with a test payment method. Resolves to the
   * completed session; rejects with the card error when the card is declined (the session stays open).
   */
  async payCheckoutSession(sessionId: string, paymentMethod = 'pm_card_visa'): Promise<Stripe.Checkout.Session> {
    const stored = this.sessions.get(sessionId);
    if (!stored) throw noSuch('checkout.session', sessionId);
    return clone(
      this.withRequest({ account: stored.owner, path: `/checkout/${sessionId}` }, () => this.paySession(stored, paymentMethod)),
    );
  }

  private withRequest<T>(partial: { account: string; path: string }, run: () => T): T {
    const previous = this.current;
    this.current = {
      method: 'POST',
      path: partial.path,
      account: partial.account,
      params: {},
      requestId: this.id('req'),
      idempotencyKey: null,
      apiVersion: SANDBOX_API_VERSION,
    };
    try {
      return run();
    } finally {
      this.current = previous;
    }
  }

  // ---- transport entry points ------------------------------------------------------------------------

  /**
   * Handles one API request (what stripe-node sends through its HttpClient): authentication, the
   * `Stripe-Account` header, idempotency, routing, and Stripe-shaped errors.
   */
  async handleApiRequest(raw: RawRequest): Promise<RawResponse> {
    return this.dispatch(raw);
  }

  private dispatch(raw: RawRequest): RawResponse {
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
    const isOAuth = url.pathname.startsWith('/oauth/');
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
    if (stripeAccount !== undefined && stripeAccount !== this.platformId && !this.accounts.has(stripeAccount)) {
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
    const account = stripeAccount ?? this.platformId;
    const ctx: RequestContext = { method, path: url.pathname, account, params, requestId, idempotencyKey, apiVersion };

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
      const saved = this.idempotency.get(scope);
      // Stripe may prune a key after 24 hours; the sandbox forgets it exactly then.
      if (saved && this.nowMs() - saved.savedAt >= IDEMPOTENCY_TTL_MS) this.idempotency.delete(scope);
      else if (saved) {
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
    this.current = ctx;
    try {
      const body = isOAuth ? this.routeOAuth(ctx) : this.route(ctx);
      response = respond(200, body);
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
      this.current = null;
    }
    if (scope !== null && save) this.idempotency.set(scope, { fingerprint, response, savedAt: this.nowMs() });
    return response;
  }

  /**
   * A web-standard handler for everything the sandbox serves: the API (`/v1/...`, `/oauth/token`) and the
   * hosted pages (account links, Checkout, login links). `listen()` puts it on a port.
   */
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    if (url.pathname.startsWith('/v1/') || url.pathname.startsWith('/oauth/')) {
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const raw = await this.handleApiRequest({
        method,
        host: url.host,
        path: url.pathname + url.search,
        headers,
        body: method === 'GET' || method === 'HEAD' ? '' : await request.text(),
      });
      return new Response(raw.body, { status: raw.status, headers: raw.headers });
    }
    const form = method === 'POST' ? parseForm(await request.text()) : {};
    return this.page(method, url, form);
  }

  private page(method: string, url: URL, form: FormObject): Response {
    const html = (status: number, body: string) =>
      new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
    const redirect = (location: string) => new Response(null, { status: 303, headers: { location } });
    let match = /^\/connect\/onboarding\/([\w-]+)$/.exec(url.pathname);
    if (match) {
      const link = this.links.get(match[1] as string);
      if (!link) return html(404, messagePage('Link not found', 'This onboarding link does not exist.'));
      const expired = this.nowSeconds() >= link.expiresAt;
      if (method === 'GET') {
        if (expired || link.state !== 'new') {
          link.state = 'used';
          return redirect(link.refreshUrl);
        }
        link.state = 'opened';
        return html(200, onboardingPage(link.account, url.pathname));
      }
      if (method === 'POST') {
        if (link.state !== 'opened' || expired) return redirect(link.refreshUrl);
        link.state = 'used';
        if (form.action === 'complete') {
          this.withRequest({ account: this.platformId, path: url.pathname }, () => this.completeOnboarding(link.account));
        }
        return redirect(link.returnUrl);
      }
    }
    match = /^\/checkout\/(cs_\w+)(\/cancel)?$/.exec(url.pathname);
    if (match) {
      const stored = this.sessions.get(match[1] as string);
      if (!stored) return html(404, messagePage('Checkout not found', 'This Checkout Session does not exist.'));
      const session = stored.obj;
      if (match[2])
        return session.cancel_url ? redirect(session.cancel_url) : html(200, messagePage('Canceled', 'You can close this page.'));
      if (session.status !== 'open') {
        return html(410, messagePage('Checkout closed', `This Checkout Session is ${session.status}.`));
      }
      const view = (status: number, error?: string) =>
        html(
          status,
          checkoutPage({
            sessionId: session.id,
            amount: formatAmount(session.amount_total ?? 0, session.currency ?? 'usd'),
            items: (this.sessionExtra.get(session.id)?.lineItems ?? []).map((i) => ({
              name: i.name,
              quantity: i.quantity,
              amount: formatAmount(i.unitAmount * i.quantity, session.currency ?? 'usd'),
            })),
            action: url.pathname,
            cancelUrl: session.cancel_url ? `${url.pathname}/cancel` : null,
            ...(error ? { error } : {}),
          }),
        );
      if (method === 'GET') return view(200);
      if (method === 'POST') {
        const number = String(form.card_number ?? form.payment_method ?? '').replace(/\s+/g, '');
        const paymentMethod = number.startsWith('pm_') ? number : TEST_CARD_NUMBERS[number];
        if (!paymentMethod) return view(400, 'Use one of the test card numbers below.');
        try {
          const paid = this.withRequest({ account: stored.owner, path: url.pathname }, () =>
            this.paySession(stored, paymentMethod),
          );
          const target = (paid.success_url ?? '').replace('{CHECKOUT_SESSION_ID}', paid.id);
          return target ? redirect(target) : html(200, messagePage('Paid', 'Thank you.'));
        } catch (error) {
          if (error instanceof SandboxApiError) return view(error.status, error.body.message);
          throw error;
        }
      }
    }
    match = /^\/express\/([\w-]+)$/.exec(url.pathname);
    if (match && method === 'GET') {
      const link = this.loginLinks.get(match[1] as string);
      if (!link || link.used)
        return html(404, messagePage('Link expired', 'Login links work once. Ask the platform for a new one.'));
      link.used = true;
      return html(200, messagePage('Express dashboard', `Signed in to ${link.account}.`));
    }
    return html(404, messagePage('Not found', `The sandbox serves nothing at ${url.pathname}.`));
  }

  // ---- routing ---------------------------------------------------------------------------------------

  private route(ctx: RequestContext): unknown {
    const { method, path } = ctx;
    const p = ctx.params;
    // `m(re)` tests the path and keeps the match in `r` for the branch it opens.
    let r = [] as unknown as RegExpExecArray;
    const m = (re: RegExp): boolean => {
      const found = re.exec(path);
      if (found) r = found;
      return found !== null;
    };
    const result = ((): unknown => {
      if (path === '/v1/accounts' && method === 'POST') return this.createAccount(this.check(ACCOUNT_CREATE, p), ctx.account);
      if (path === '/v1/accounts' && method === 'GET')
        return this.list([...this.accounts.values()], this.check(LIST, p), '/v1/accounts');
      if (m(/^\/v1\/accounts\/([\w]+)$/)) {
        const id = r[1] as string;
        if (method === 'GET') return this.check(EXPAND, p) && this.requireAccount(id, 'account');
        if (method === 'POST') return this.updateAccount(id, this.check(ACCOUNT_UPDATE, p));
        if (method === 'DELETE') return this.deleteAccount(id);
      }
      if (path === '/v1/account' && method === 'GET') return this.requireAccount(ctx.account, 'account');
      if (m(/^\/v1\/accounts\/([\w]+)\/login_links$/) && method === 'POST')
        return this.createLoginLink(r[1] as string, this.check(EXPAND, p));
      if (path === '/v1/account_links' && method === 'POST') return this.createAccountLink(this.check(ACCOUNT_LINK_CREATE, p));

      if (path === '/v1/payment_intents') {
        if (method === 'POST') return this.createPaymentIntent(this.checkPaymentMethodTypes(p, PI_CREATE), ctx.account);
        if (method === 'GET')
          return this.listOwned(this.intents, this.check({ ...LIST, customer: 'string' }, p), ctx.account, '/v1/payment_intents');
      }
      if (m(/^\/v1\/payment_intents\/(\w+)(?:\/(confirm|cancel))?$/)) {
        const id = r[1] as string;
        const action = r[2];
        if (method === 'GET' && !action)
          return (
            this.check({ ...EXPAND, client_secret: 'string' }, p) &&
            this.owned(this.intents, id, ctx.account, 'payment_intent', 'intent')
          );
        if (method === 'POST' && !action)
          return this.updatePaymentIntent(id, this.checkPaymentMethodTypes(p, PI_UPDATE), ctx.account);
        if (method === 'POST' && action === 'confirm')
          return this.confirmPaymentIntent(id, this.checkPaymentMethodTypes(p, PI_CONFIRM), ctx.account);
        if (method === 'POST' && action === 'cancel') return this.cancelPaymentIntent(id, this.check(PI_CANCEL, p), ctx.account);
      }

      if (path === '/v1/charges' && method === 'GET') {
        return this.listOwned(
          this.charges,
          this.check({ ...LIST, payment_intent: 'string', transfer_group: 'string' }, p),
          ctx.account,
          '/v1/charges',
        );
      }
      if (m(/^\/v1\/charges\/(\w+)$/) && method === 'GET')
        return this.check(EXPAND, p) && this.owned(this.charges, r[1] as string, ctx.account, 'charge', 'id');

      if (path === '/v1/refunds') {
        if (method === 'POST') return this.createRefund(this.check(REFUND_CREATE, p), ctx.account);
        if (method === 'GET')
          return this.listOwned(
            this.refunds,
            this.check({ ...LIST, charge: 'string', payment_intent: 'string' }, p),
            ctx.account,
            '/v1/refunds',
          );
      }
      if (m(/^\/v1\/refunds\/(\w+)$/) && method === 'GET')
        return this.check(EXPAND, p) && this.owned(this.refunds, r[1] as string, ctx.account, 'refund', 'refund');

      if (path === '/v1/transfers') {
        if (method === 'POST') return this.createTransfer(this.check(TRANSFER_CREATE, p), ctx.account);
        if (method === 'GET')
          return this.listOwned(
            this.transfers,
            this.check({ ...LIST, destination: 'string', transfer_group: 'string' }, p),
            ctx.account,
            '/v1/transfers',
          );
      }
      if (m(/^\/v1\/transfers\/(\w+)$/) && method === 'GET')
        return this.check(EXPAND, p) && this.owned(this.transfers, r[1] as string, ctx.account, 'transfer', 'transfer');
      if (m(/^\/v1\/transfers\/(\w+)\/reversals$/)) {
        if (method === 'POST') return this.createReversal(r[1] as string, this.check(REVERSAL_CREATE, p), ctx.account);
        if (method === 'GET') {
          const transfer = this.owned(this.transfers, r[1] as string, ctx.account, 'transfer', 'id');
          return transfer.reversals;
        }
      }

      if (path === '/v1/application_fees' && method === 'GET') {
        return this.listOwned(this.fees, this.check({ ...LIST, charge: 'string' }, p), ctx.account, '/v1/application_fees');
      }
      if (m(/^\/v1\/application_fees\/(\w+)$/) && method === 'GET')
        return this.check(EXPAND, p) && this.owned(this.fees, r[1] as string, ctx.account, 'application fee', 'id');

      if (path === '/v1/balance' && method === 'GET') return this.check(EXPAND, p) && this.balanceObject(ctx.account);
      if (path === '/v1/balance_transactions' && method === 'GET') {
        return this.listOwned(
          this.balanceTransactions,
          this.check({ ...LIST, type: 'string', source: 'string', currency: 'string' }, p),
          ctx.account,
          '/v1/balance_transactions',
        );
      }
      if (m(/^\/v1\/balance_transactions\/(\w+)$/) && method === 'GET') {
        return (
          this.check(EXPAND, p) && this.owned(this.balanceTransactions, r[1] as string, ctx.account, 'balance transaction', 'id')
        );
      }

      if (path === '/v1/checkout/sessions') {
        if (method === 'POST') return this.createSession(this.checkPaymentMethodTypes(p, SESSION_CREATE), ctx.account);
        if (method === 'GET')
          return this.listOwned(
            this.sessions,
            this.check({ ...LIST, payment_intent: 'string', status: 'string' }, p),
            ctx.account,
            '/v1/checkout/sessions',
          );
      }
      if (m(/^\/v1\/checkout\/sessions\/(\w+)(\/expire)?$/)) {
        const id = r[1] as string;
        if (method === 'GET' && !r[2])
          return this.check(EXPAND, p) && this.owned(this.sessions, id, ctx.account, 'checkout.session', 'session');
        if (method === 'POST' && r[2]) return this.expireSession(id, this.check(EXPAND, p), ctx.account);
      }

      if (path === '/v1/events' && method === 'GET')
        return this.listEvents(this.check({ ...LIST, type: 'string', types: 'strings', created: 'any' }, p), ctx.account);
      if (m(/^\/v1\/events\/(\w+)$/) && method === 'GET') {
        this.check(EXPAND, p);
        const event = this.eventList.find((e) => e.id === r?.[1] && (e.account ?? this.platformId) === ctx.account);
        if (!event) throw noSuch('event', r[1] as string);
        return event;
      }
      throw invalidRequest(
        `Unrecognized request URL (${method}: ${path}). The stripe-marketplace sandbox simulates accounts, account links, login links, OAuth, PaymentIntents, charges, refunds, transfers, application fees, balances, Checkout Sessions and events.`,
        { status: 404 },
      );
    })();
    return this.expand(clone(result), ctx);
  }

  private check(spec: SpecObject, params: FormObject): Params {
    return checkParams(spec, params);
  }

  /** Refuses `payment_method_types` on API versions that removed it, before any other check. */
  private checkPaymentMethodTypes(params: FormObject, spec: SpecObject): Params {
    const version = (this.current?.apiVersion ?? SANDBOX_API_VERSION).slice(0, 10);
    if (version >= PAYMENT_METHOD_TYPES_REMOVED && 'payment_method_types' in params) {
      throw invalidRequest(
        `Received unknown parameter: payment_method_types. Since API version ${PAYMENT_METHOD_TYPES_REMOVED}, payment method types are no longer writable: use automatic_payment_methods, excluded_payment_method_types or allowed_payment_method_types.`,
        { param: 'payment_method_types', code: 'parameter_unknown' },
      );
    }
    return this.check(spec, params);
  }

  private expand(value: unknown, ctx: RequestContext): unknown {
    const expand = ctx.params.expand;
    const list = Array.isArray(expand) ? (expand as string[]) : typeof expand === 'string' ? [expand] : [];
    for (const path of list) this.expandPath(value, path.split('.'), ctx.account);
    return value;
  }

  private expandPath(value: unknown, segments: string[], account: string): void {
    if (!value || typeof value !== 'object' || segments.length === 0) return;
    const [head, ...rest] = segments as [string, ...string[]];
    const obj = value as Record<string, unknown>;
    if (head === 'data' && Array.isArray(obj.data)) {
      for (const item of obj.data) this.expandPath(item, rest, account);
      return;
    }
    const field = obj[head];
    if (typeof field === 'string') {
      const found = this.lookup(field);
      if (found) obj[head] = clone(found);
    }
    if (rest.length > 0) this.expandPath(obj[head], rest, account);
  }

  private lookup(id: string): unknown {
    if (this.accounts.has(id)) return this.accounts.get(id);
    for (const map of [
      this.intents,
      this.charges,
      this.refunds,
      this.transfers,
      this.reversals,
      this.fees,
      this.balanceTransactions,
      this.sessions,
    ] as Map<string, Stored<unknown>>[]) {
      const found = map.get(id);
      if (found) return found.obj;
    }
    return undefined;
  }

  private owned<T>(map: Map<string, Stored<T>>, id: string, account: string, kind: string, param: string): T {
    const found = map.get(id);
    if (!found || found.owner !== account) throw noSuch(kind, id, param);
    return found.obj;
  }

  private list<T extends { id?: string; created?: number }>(items: T[], params: Params, url: string): Stripe.ApiList<T> {
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

  private listOwned<T>(map: Map<string, Stored<T>>, params: Params, account: string, url: string): Stripe.ApiList<T> {
    const filters = Object.entries(params).filter(
      ([k, v]) => !['limit', 'starting_after', 'ending_before', 'expand', 'created'].includes(k) && v !== null,
    );
    const items = [...map.values()]
      .filter((s) => s.owner === account)
      .map((s) => s.obj)
      .filter((obj) => filters.every(([k, v]) => (obj as Record<string, unknown>)[k] === v));
    return this.list(items as (T & { id?: string })[], params, url) as Stripe.ApiList<T>;
  }

  // ---- accounts --------------------------------------------------------------------------------------

  private requireAccount(id: string, param = 'account'): Stripe.Account {
    const account = this.accounts.get(id);
    if (!account) {
      throw invalidRequest(`No such account: '${id}'`, {
        param,
        code: 'resource_missing',
        status: param === 'account' && this.current?.method === 'GET' ? 404 : 400,
      });
    }
    return account;
  }

  private createAccount(p: Params, requester: string): Stripe.Account {
    if (requester !== this.platformId) {
      throw invalidRequest('Connected accounts cannot create other accounts; call accounts.create without stripeAccount.', {
        status: 403,
      });
    }
    const controllerParam = p.controller as Params | undefined;
    if (p.type && controllerParam) {
      throw invalidRequest('You cannot pass both `type` and `controller`. `type` is legacy; prefer `controller` properties.', {
        param: 'type',
      });
    }
    const legacy = (str(p.type) ?? (controllerParam ? null : 'standard')) as 'express' | 'standard' | 'custom' | null;
    let dashboard: string;
    let controller: Stripe.Account.Controller;
    if (legacy) {
      dashboard = legacy === 'express' ? 'express' : legacy === 'standard' ? 'full' : 'none';
      controller = {
        fees: { payer: legacy === 'standard' ? 'account' : legacy === 'express' ? 'application_express' : 'application_custom' },
        is_controller: true,
        losses: { payments: legacy === 'standard' ? 'stripe' : 'application' },
        requirement_collection: legacy === 'custom' ? 'application' : 'stripe',
        stripe_dashboard: { type: dashboard as 'express' },
        type: 'application',
      };
    } else {
      const c = controllerParam as Params;
      dashboard = str((c.stripe_dashboard as Params | undefined)?.type) ?? 'full';
      const payer = str((c.fees as Params | undefined)?.payer) ?? 'account';
      const losses = str((c.losses as Params | undefined)?.payments) ?? 'stripe';
      const collection = str(c.requirement_collection) ?? 'stripe';
      if (dashboard !== 'none' && collection === 'application') {
        throw invalidRequest('controller[requirement_collection]=application requires controller[stripe_dashboard][type]=none.', {
          param: 'controller[requirement_collection]',
        });
      }
      controller = {
        fees: { payer: payer as 'account' },
        is_controller: true,
        losses: { payments: losses as 'stripe' },
        requirement_collection: collection as 'stripe',
        stripe_dashboard: { type: dashboard as 'express' },
        type: 'application',
      };
    }
    const type: Stripe.Account.Type = dashboard === 'express' ? 'express' : dashboard === 'full' ? 'standard' : 'custom';
    const requested = meta(p.capabilities) as unknown as Record<string, { requested?: boolean }>;
    const capabilities: Record<string, string> = {};
    for (const [name, value] of Object.entries(requested)) if (value?.requested) capabilities[name] = 'inactive';
    if (type === 'standard') {
      capabilities.card_payments ??= 'inactive';
      capabilities.transfers ??= 'inactive';
    }
    if ((type === 'express' || type === 'custom') && Object.keys(capabilities).length === 0) {
      throw invalidRequest(
        'Accounts without a Stripe dashboard must request at least one capability, for example capabilities[transfers][requested]=true.',
        {
          param: 'capabilities',
        },
      );
    }
    const country = (str(p.country) ?? 'US').toUpperCase();
    const email = str(p.email);
    const due = ['business_type', 'external_account', 'tos_acceptance.date', 'tos_acceptance.ip'];
    if (!email) due.unshift('email');
    const profile = p.business_profile as Params | undefined;
    const account = newAccount({
      id: this.id('acct'),
      created: this.nowSeconds(),
      type,
      controller,
      country,
      email,
      metadata: meta(p.metadata),
      capabilities: capabilities as Stripe.Account.Capabilities,
      requirements: accountRequirements(due),
      businessType: (str(p.business_type) as Stripe.Account.BusinessType | null) ?? null,
      businessProfile: profile ? businessProfile(profile) : null,
      defaultCurrency: str(p.default_currency) ?? defaultCurrencyFor(country),
    });
    this.accounts.set(account.id, account);
    return account;
  }

  private updateAccount(id: string, p: Params): Stripe.Account {
    const account = this.requireAccount(id);
    const previous: Record<string, unknown> = {};
    if (p.metadata !== undefined) {
      previous.metadata = clone(account.metadata);
      account.metadata = mergeMetadata(account.metadata ?? {}, p.metadata);
    }
    if (p.email !== undefined) {
      if (account.details_submitted)
        throw invalidRequest('This account has completed onboarding: its email can no longer be changed by the platform.', {
          param: 'email',
        });
      previous.email = account.email;
      account.email = str(p.email);
    }
    if (p.business_profile !== undefined) {
      previous.business_profile = clone(account.business_profile);
      account.business_profile = businessProfile(p.business_profile as Params, account.business_profile);
    }
    if (p.capabilities !== undefined) {
      previous.capabilities = clone(account.capabilities);
      const caps = (account.capabilities ?? {}) as Record<string, string>;
      for (const [name, value] of Object.entries(p.capabilities as Record<string, Params>)) {
        if (value.requested === true && !caps[name]) caps[name] = account.details_submitted ? 'active' : 'inactive';
        if (value.requested === false) delete caps[name];
      }
      account.capabilities = caps as Stripe.Account.Capabilities;
    }
    if (Object.keys(previous).length > 0) this.emit('account.updated', account, account.id, previous);
    return account;
  }

  private deleteAccount(id: string): Stripe.DeletedAccount {
    this.requireAccount(id);
    const balance = [...this.balanceTransactions.values()].filter((t) => t.owner === id).reduce((s, t) => s + t.obj.net, 0);
    if (balance !== 0) throw invalidRequest('This account cannot be deleted: its balance is not zero.', { param: 'account' });
    this.accounts.delete(id);
    return { id, object: 'account', deleted: true };
  }

  private createLoginLink(id: string, _p: Params): Stripe.LoginLink {
    const account = this.requireAccount(id);
    if (account.controller?.stripe_dashboard?.type !== 'express') {
      throw invalidRequest('Login links can only be created for accounts that use the Express Dashboard.', { param: 'account' });
    }
    if (!account.details_submitted) {
      throw invalidRequest('Cannot create a login link for an account that has not completed onboarding.', { param: 'account' });
    }
    const token = randomToken(18);
    this.loginLinks.set(token, { account: id, used: false });
    return { object: 'login_link', created: this.nowSeconds(), url: `${this.origin}/express/${token}` };
  }

  private createAccountLink(p: Params): Stripe.AccountLink {
    const account = this.requireAccount(p.account as string);
    const type = p.type as string;
    if (type === 'account_update' && account.controller?.stripe_dashboard?.type !== 'none') {
      throw invalidRequest(
        'You cannot create `account_update` type Account Links for accounts with access to a Stripe dashboard.',
        { param: 'type' },
      );
    }
    for (const key of ['refresh_url', 'return_url'] as const) {
      const value = str(p[key]);
      if (!value || !/^https?:\/\//.test(value)) throw invalidRequest(`Not a valid URL`, { param: key, code: 'url_invalid' });
    }
    const token = randomToken(18);
    const created = this.nowSeconds();
    const expiresAt = created + ACCOUNT_LINK_TTL_SECONDS;
    this.links.set(token, {
      account: account.id,
      refreshUrl: p.refresh_url as string,
      returnUrl: p.return_url as string,
      expiresAt,
      state: 'new',
    });
    return { object: 'account_link', created, expires_at: expiresAt, url: `${this.origin}/connect/onboarding/${token}` };
  }

  private routeOAuth(ctx: RequestContext): unknown {
    if (ctx.path === '/oauth/token' && ctx.method === 'POST') {
      const p = ctx.params;
      if (p.grant_type !== 'authorization_code') {
        if (p.grant_type === undefined) throw new OAuthError('invalid_request', 'No grant type specified');
        throw new OAuthError('unsupported_grant_type', `Unsupported grant type: ${String(p.grant_type)}`);
      }
      const code = str(p.code);
      if (!code) throw new OAuthError('invalid_request', 'No authorization code provided');
      const accountId = this.oauthCodes.get(code);
      if (!accountId) throw new OAuthError('invalid_grant', `Authorization code does not exist: ${code}`);
      this.oauthCodes.delete(code);
      return {
        access_token: `sk_test_${randomToken(24)}`,
        livemode: false,
        refresh_token: `rt_${randomToken(24)}`,
        scope: 'read_write',
        stripe_publishable_key: `pk_test_${randomToken(24)}`,
        stripe_user_id: accountId,
        token_type: 'bearer',
      } satisfies Stripe.OAuthToken;
    }
    if (ctx.path === '/oauth/deauthorize' && ctx.method === 'POST') {
      const id = str(ctx.params.stripe_user_id);
      if (!id || !this.accounts.has(id)) throw new OAuthError('invalid_client', `No such account: ${id ?? ''}`);
      this.emit(
        'account.application.deauthorized',
        { id: `ca_sandbox`, object: 'application', name: 'sandbox' } as { id: string },
        id,
      );
      return { stripe_user_id: id };
    }
    throw new OAuthError('invalid_request', `Unrecognized OAuth request (${ctx.method} ${ctx.path})`);
  }

  // ---- payment intents -------------------------------------------------------------------------------

  private validateAmount(amount: number, currency: string, param = 'amount'): void {
    const info = currencyInfo(currency);
    if (!info)
      throw invalidRequest(`Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, ...`, {
        param: 'currency',
      });
    if (amount < 1)
      throw invalidRequest('This value must be greater than or equal to 1.', { param, code: 'parameter_invalid_integer' });
    if (amount > MAX_AMOUNT) throw invalidRequest('Amount must be no more than 99,999,999', { param, code: 'amount_too_large' });
    if (info.minimumAmount !== undefined && amount < info.minimumAmount) {
      throw invalidRequest(`Amount must be at least ${formatAmount(info.minimumAmount, currency)}`, {
        param,
        code: 'amount_too_small',
      });
    }
    if (amount % info.multipleOf !== 0) {
      throw invalidRequest(`Amounts in ${currency.toUpperCase()} must be a multiple of ${info.multipleOf}.`, {
        param,
        code: 'invalid_charge_amount',
      });
    }
  }

  /** Checks `application_fee_amount` and `transfer_data` as Stripe does when a payment is set up. */
  private validateSplit(fee: number | null, amount: number, destination: string | null, requester: string, prefix = ''): void {
    const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
    if (destination !== null) {
      if (requester !== this.platformId) {
        throw invalidRequest('transfer_data[destination] cannot be used together with the Stripe-Account header.', {
          param: name('transfer_data[destination]'),
        });
      }
      const account = this.accounts.get(destination);
      if (!account)
        throw invalidRequest(`No such destination: '${destination}'`, {
          param: name('transfer_data[destination]'),
          code: 'resource_missing',
        });
      const caps = (account.capabilities ?? {}) as Record<string, string>;
      if (caps.transfers !== 'active' && caps.crypto_transfers !== 'active' && caps.legacy_payments !== 'active') {
        throw invalidRequest(
          'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
          { param: name('transfer_data[destination]'), code: 'insufficient_capabilities_for_transfer' },
        );
      }
    }
    if (fee !== null) {
      if (destination === null && requester === this.platformId) {
        throw invalidRequest(
          'Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`).',
          { param: name('application_fee_amount') },
        );
      }
      if (fee < 0)
        throw invalidRequest('This value must be greater than or equal to 0.', {
          param: name('application_fee_amount'),
          code: 'parameter_invalid_integer',
        });
      if (fee > amount) {
        throw invalidRequest(
          `The application fee amount (${fee}) cannot be greater than the amount of the payment (${amount}).`,
          { param: name('application_fee_amount') },
        );
      }
    }
  }

  private createPaymentIntent(p: Params, requester: string): Stripe.PaymentIntent {
    if (p.capture_method === 'manual') {
      throw invalidRequest('capture_method=manual is not simulated by the stripe-marketplace sandbox.', {
        param: 'capture_method',
      });
    }
    const amount = p.amount as number;
    const currency = (p.currency as string).toLowerCase();
    this.validateAmount(amount, currency);
    const transferData = p.transfer_data as Params | undefined;
    const destination = transferData ? (transferData.destination as string) : null;
    const fee = num(p.application_fee_amount);
    this.validateSplit(fee, amount, destination, requester);
    if (transferData?.amount !== undefined && transferData.amount !== null) {
      if (fee !== null)
        throw invalidRequest('You cannot pass both application_fee_amount and transfer_data[amount].', {
          param: 'transfer_data[amount]',
        });
      if ((transferData.amount as number) > amount)
        throw invalidRequest('transfer_data[amount] cannot be greater than amount.', { param: 'transfer_data[amount]' });
    }
    const apm = p.automatic_payment_methods as Params | undefined;
    const id = this.id('pi');
    const intent = newPaymentIntent({
      id,
      created: this.nowSeconds(),
      amount,
      currency,
      applicationFeeAmount: fee,
      transferData: destination
        ? ({
            destination,
            ...(transferData?.amount != null ? { amount: transferData.amount as number } : {}),
          } as Stripe.PaymentIntent.TransferData)
        : null,
      automaticPaymentMethods:
        apm === undefined
          ? { allow_redirects: 'always', enabled: true }
          : { enabled: apm.enabled === true, allow_redirects: (str(apm.allow_redirects) ?? 'always') as 'always' },
      excludedPaymentMethodTypes: (p.excluded_payment_method_types as string[] | undefined) ?? null,
      metadata: meta(p.metadata),
      description: str(p.description),
      receiptEmail: str(p.receipt_email),
      onBehalfOf: str(p.on_behalf_of),
      paymentMethod: str(p.payment_method),
      transferGroup: str(p.transfer_group),
      statementDescriptor: str(p.statement_descriptor),
      statementDescriptorSuffix: str(p.statement_descriptor_suffix),
      clientSecret: `${id}_secret_${randomToken(18)}`,
    });
    const pm = str(p.payment_method);
    if (pm && !cardOutcome(pm)) {
      throw invalidRequest(`No such PaymentMethod: '${pm}'`, { param: 'payment_method', code: 'resource_missing' });
    }
    this.intents.set(id, { owner: requester, obj: intent });
    this.emit('payment_intent.created', intent, requester);
    if (p.confirm === true) return this.confirm(this.intents.get(id) as Stored<Stripe.PaymentIntent>, p);
    return intent;
  }

  private updatePaymentIntent(id: string, p: Params, requester: string): Stripe.PaymentIntent {
    const stored = this.intents.get(id);
    if (!stored || stored.owner !== requester) throw noSuch('payment_intent', id, 'intent');
    const intent = stored.obj;
    if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
      throw unexpectedState(
        `This PaymentIntent's amount could not be updated because it has a status of ${intent.status}. You may only update the amount of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.`,
      );
    }
    if (p.transfer_data !== undefined && (p.transfer_data as Params | null)?.destination !== undefined) {
      throw invalidRequest('transfer_data[destination] cannot be changed once the PaymentIntent is created.', {
        param: 'transfer_data[destination]',
      });
    }
    const amount = num(p.amount) ?? intent.amount;
    const currency = (str(p.currency) ?? intent.currency).toLowerCase();
    this.validateAmount(amount, currency);
    const fee = p.application_fee_amount === undefined ? intent.application_fee_amount : num(p.application_fee_amount);
    this.validateSplit(fee, amount, (intent.transfer_data?.destination as string | null) ?? null, requester);
    intent.amount = amount;
    intent.currency = currency;
    intent.application_fee_amount = fee;
    if (p.metadata !== undefined) intent.metadata = mergeMetadata(intent.metadata, p.metadata);
    if (p.description !== undefined) intent.description = str(p.description);
    if (p.receipt_email !== undefined) intent.receipt_email = str(p.receipt_email);
    if (p.payment_method !== undefined) {
      const pm = str(p.payment_method);
      if (pm && !cardOutcome(pm))
        throw invalidRequest(`No such PaymentMethod: '${pm}'`, { param: 'payment_method', code: 'resource_missing' });
      intent.payment_method = pm;
      intent.status = pm ? 'requires_confirmation' : 'requires_payment_method';
    }
    return intent;
  }

  private confirmPaymentIntent(id: string, p: Params, requester: string): Stripe.PaymentIntent {
    const stored = this.intents.get(id);
    if (!stored || stored.owner !== requester) throw noSuch('payment_intent', id, 'intent');
    return this.confirm(stored, p);
  }

  private confirm(stored: Stored<Stripe.PaymentIntent>, p: Params): Stripe.PaymentIntent {
    const intent = stored.obj;
    if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
      throw unexpectedState(
        `You cannot confirm this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      );
    }
    const paymentMethod = str(p.payment_method) ?? (typeof intent.payment_method === 'string' ? intent.payment_method : null);
    if (!paymentMethod) {
      throw invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        { code: 'payment_intent_unexpected_state' },
      );
    }
    const outcome = cardOutcome(paymentMethod);
    if (!outcome)
      throw invalidRequest(`No such PaymentMethod: '${paymentMethod}'`, { param: 'payment_method', code: 'resource_missing' });
    const apm = intent.automatic_payment_methods;
    if (apm?.enabled && apm.allow_redirects !== 'never' && !str(p.return_url) && !p.__hosted) {
      throw invalidRequest(
        "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
        { param: 'return_url' },
      );
    }
    if (p.receipt_email !== undefined) intent.receipt_email = str(p.receipt_email);
    intent.payment_method = paymentMethod;
    const merchant = stored.owner;
    if (outcome.decline) return this.decline(stored, paymentMethod, outcome.card, outcome.decline);
    this.succeed(stored, paymentMethod, outcome.card, merchant);
    return intent;
  }

  private decline(
    stored: Stored<Stripe.PaymentIntent>,
    paymentMethod: string,
    card: CardInfo,
    decline: { code: string; declineCode: string | undefined; message: string },
  ): never {
    const intent = stored.obj;
    const charge = newCharge({
      id: this.id('ch'),
      created: this.nowSeconds(),
      amount: intent.amount,
      currency: intent.currency,
      paymentIntent: intent.id,
      paymentMethod,
      card,
      status: 'failed',
      failure: { code: decline.code, declineCode: decline.declineCode ?? null, message: decline.message },
      applicationFeeAmount: intent.application_fee_amount,
      destination: (intent.transfer_data?.destination as string | undefined) ?? null,
      onBehalfOf: intent.on_behalf_of as string | null,
      metadata: { ...intent.metadata },
      description: intent.description,
      receiptEmail: intent.receipt_email,
      transferGroup: intent.transfer_group,
      balanceTransaction: null,
      sourceTransfer: null,
    });
    this.charges.set(charge.id, { owner: stored.owner, obj: charge });
    intent.latest_charge = charge.id;
    intent.status = 'requires_payment_method';
    intent.last_payment_error = {
      type: 'card_error',
      charge: charge.id,
      code: decline.code,
      ...(decline.declineCode ? { decline_code: decline.declineCode } : {}),
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
      message: decline.message,
    } as Stripe.PaymentIntent.LastPaymentError;
    intent.payment_method = null;
    this.emit('charge.failed', charge, stored.owner);
    this.emit('payment_intent.payment_failed', intent, stored.owner);
    throw cardError(decline.code, decline.declineCode, decline.message, { charge: charge.id, payment_intent: clone(intent) });
  }

  private succeed(stored: Stored<Stripe.PaymentIntent>, paymentMethod: string, card: CardInfo, merchant: string): Stripe.Charge {
    const intent = stored.obj;
    const amount = intent.amount;
    const currency = intent.currency;
    const chargeId = this.id('ch');
    const stripeFee = this.processingFee(amount);
    const chargeTxn = this.ledger(merchant, amount, stripeFee, currency, 'charge', 'charge', chargeId);
    const destination = (intent.transfer_data?.destination as string | undefined) ?? null;
    const charge = newCharge({
      id: chargeId,
      created: this.nowSeconds(),
      amount,
      currency,
      paymentIntent: intent.id,
      paymentMethod,
      card,
      status: 'succeeded',
      failure: null,
      applicationFeeAmount: intent.application_fee_amount,
      destination,
      onBehalfOf: intent.on_behalf_of as string | null,
      metadata: { ...intent.metadata },
      description: intent.description,
      receiptEmail: intent.receipt_email,
      transferGroup: intent.transfer_group,
      balanceTransaction: chargeTxn.id,
      sourceTransfer: null,
    });
    const chargeInfo: ChargeMeta = { transfer: null, fee: null, feePayer: null, reversedByRefunds: 0, feeRefundedByRefunds: 0 };
    this.charges.set(chargeId, { owner: merchant, obj: charge });
    this.chargeMeta.set(chargeId, chargeInfo);
    intent.status = 'succeeded';
    intent.amount_received = amount;
    intent.latest_charge = chargeId;
    intent.last_payment_error = null;

    // The transfer and the application fee are created with the charge, so the events below all show them.
    let transfer: Stripe.Transfer | null = null;
    if (destination) {
      const transferAmount = (intent.transfer_data?.amount as number | undefined) ?? amount;
      transfer = this.moveToConnected(merchant, destination, transferAmount, currency, chargeId, intent.transfer_group, {}, null);
      charge.transfer = transfer.id;
      chargeInfo.transfer = transfer.id;
    }
    const fee = intent.application_fee_amount;
    if (fee !== null && fee > 0) {
      const payer = destination ?? merchant;
      const feeId = this.id('fee');
      const payerTxn = this.ledger(payer, -fee, 0, currency, 'application_fee', 'platform_earning', feeId, 'Application fee');
      void payerTxn;
      const platformTxn = this.ledger(this.platformId, fee, 0, currency, 'application_fee', 'platform_earning', feeId);
      const applicationFee = newApplicationFee({
        id: feeId,
        created: this.nowSeconds(),
        amount: fee,
        currency,
        account: payer,
        application: 'ca_sandbox',
        charge: destination ? ((transfer?.destination_payment as string | null) ?? chargeId) : chargeId,
        originatingTransaction: destination ? chargeId : null,
        balanceTransaction: platformTxn.id,
      });
      this.fees.set(feeId, { owner: this.platformId, obj: applicationFee });
      charge.application_fee = feeId;
      chargeInfo.fee = feeId;
      chargeInfo.feePayer = payer;
    }
    this.emit('charge.succeeded', charge, merchant);
    this.emit('payment_intent.succeeded', intent, merchant);
    if (transfer) this.emit('transfer.created', transfer, merchant);
    const feeObject = chargeInfo.fee ? this.fees.get(chargeInfo.fee)?.obj : undefined;
    if (feeObject) this.emit('application_fee.created', feeObject, this.platformId);
    return charge;
  }

  /** A transfer from `from` (the platform) to a connected account, with its destination payment. The caller emits `transfer.created`. */
  private moveToConnected(
    from: string,
    destination: string,
    amount: number,
    currency: string,
    sourceTransaction: string | null,
    transferGroup: string | null,
    metadata: Record<string, string>,
    description: string | null,
  ): Stripe.Transfer {
    const transferId = this.id('tr');
    const paymentId = this.id('py');
    const outTxn = this.ledger(from, -amount, 0, currency, 'transfer', 'transfer', transferId);
    const inTxn = this.ledger(destination, amount, 0, currency, 'payment', 'charge', paymentId);
    const payment = newCharge({
      id: paymentId,
      created: this.nowSeconds(),
      amount,
      currency,
      paymentIntent: null,
      paymentMethod: null,
      card: null,
      status: 'succeeded',
      failure: null,
      applicationFeeAmount: null,
      destination: null,
      onBehalfOf: null,
      metadata: {},
      description: null,
      receiptEmail: null,
      transferGroup,
      balanceTransaction: inTxn.id,
      sourceTransfer: transferId,
    });
    this.charges.set(paymentId, { owner: destination, obj: payment });
    const transfer = newTransfer({
      id: transferId,
      created: this.nowSeconds(),
      amount,
      currency,
      destination,
      destinationPayment: paymentId,
      sourceTransaction,
      transferGroup,
      metadata,
      description,
      balanceTransaction: outTxn.id,
    });
    this.transfers.set(transferId, { owner: from, obj: transfer });
    return transfer;
  }

  private cancelPaymentIntent(id: string, p: Params, requester: string): Stripe.PaymentIntent {
    const stored = this.intents.get(id);
    if (!stored || stored.owner !== requester) throw noSuch('payment_intent', id, 'intent');
    const intent = stored.obj;
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      );
    }
    intent.status = 'canceled';
    intent.canceled_at = this.nowSeconds();
    intent.cancellation_reason = (str(p.cancellation_reason) ?? null) as Stripe.PaymentIntent.CancellationReason | null;
    this.emit('payment_intent.canceled', intent, stored.owner);
    return intent;
  }

  // ---- refunds, transfers ----------------------------------------------------------------------------

  private createRefund(p: Params, requester: string): Stripe.Refund {
    let chargeId = str(p.charge);
    const intentId = str(p.payment_intent);
    if (chargeId && intentId)
      throw invalidRequest('You can only pass one of charge or payment_intent.', { param: 'payment_intent' });
    if (!chargeId && !intentId) {
      throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
        code: 'parameter_missing',
      });
    }
    if (intentId) {
      const intent = this.intents.get(intentId);
      if (!intent || intent.owner !== requester) throw noSuch('payment_intent', intentId, 'payment_intent');
      if (intent.obj.status !== 'succeeded' || !intent.obj.latest_charge) {
        throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
          param: 'payment_intent',
        });
      }
      chargeId = intent.obj.latest_charge as string;
    }
    const stored = this.charges.get(chargeId as string);
    if (!stored || stored.owner !== requester) throw noSuch('charge', chargeId as string, 'charge');
    const charge = stored.obj;
    if (charge.status !== 'succeeded')
      throw invalidRequest(`Charge ${charge.id} has not succeeded, so it cannot be refunded.`, { param: 'charge' });
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0)
      throw invalidRequest(`Charge ${charge.id} has already been refunded.`, {
        param: 'charge',
        code: 'charge_already_refunded',
      });
    const amount = num(p.amount) ?? remaining;
    if (amount < 1)
      throw invalidRequest('This value must be greater than or equal to 1.', {
        param: 'amount',
        code: 'parameter_invalid_integer',
      });
    if (amount > remaining) {
      throw invalidRequest(
        `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
        { param: 'amount' },
      );
    }
    const info = this.chargeMeta.get(charge.id) as ChargeMeta;
    const reverse = p.reverse_transfer === true;
    const refundFee = p.refund_application_fee === true;
    if (reverse && !info.transfer)
      throw invalidRequest(
        'reverse_transfer can only be used on destination charges (a charge with transfer_data[destination]).',
        { param: 'reverse_transfer' },
      );
    if (refundFee && !info.fee)
      throw invalidRequest('This charge has no application fee to refund.', { param: 'refund_application_fee' });
    if (refundFee && info.transfer && !reverse) {
      throw invalidRequest('refund_application_fee requires reverse_transfer=true on destination charges.', {
        param: 'refund_application_fee',
      });
    }
    if (refundFee && requester !== this.platformId) {
      throw invalidRequest('Only the platform can refund its application fee.', { param: 'refund_application_fee' });
    }
    const refundedAfter = charge.amount_refunded + amount;
    let reversal = 0;
    let transfer: Stored<Stripe.Transfer> | undefined;
    if (reverse && info.transfer) {
      transfer = this.transfers.get(info.transfer) as Stored<Stripe.Transfer>;
      const t = transfer.obj;
      reversal = this.nextShare(t.amount, info.reversedByRefunds, t.amount - t.amount_reversed, refundedAfter, charge.amount);
    }
    let feeRefund = 0;
    let fee: Stored<Stripe.ApplicationFee> | undefined;
    if (refundFee && info.fee) {
      fee = this.fees.get(info.fee) as Stored<Stripe.ApplicationFee>;
      const f = fee.obj;
      feeRefund = this.nextShare(f.amount, info.feeRefundedByRefunds, f.amount - f.amount_refunded, refundedAfter, charge.amount);
    }
    if (transfer && reversal > 0) {
      const destination = transfer.obj.destination as string;
      const net = reversal - feeRefund;
      if (this.available(destination, charge.currency) < net) {
        throw invalidRequest(
          `Insufficient funds in the connected account ${destination} to reverse ${formatAmount(reversal, charge.currency)} of transfer ${transfer.obj.id}.`,
          { param: 'reverse_transfer', code: 'balance_insufficient' },
        );
      }
    }
    const refundId = this.id('re');
    const refundTxn = this.ledger(requester, -amount, 0, charge.currency, 'refund', 'refund', refundId);
    let reversalObj: Stripe.TransferReversal | null = null;
    if (transfer && reversal > 0) {
      reversalObj = this.reverse(transfer, reversal, refundId, {});
      info.reversedByRefunds += reversal;
    }
    const refund = newRefund({
      id: refundId,
      created: this.nowSeconds(),
      amount,
      currency: charge.currency,
      charge: charge.id,
      paymentIntent: charge.payment_intent as string | null,
      reason: (str(p.reason) ?? null) as Stripe.Refund.Reason | null,
      metadata: meta(p.metadata),
      balanceTransaction: refundTxn.id,
      transferReversal: reversalObj?.id ?? null,
      paymentMethod: charge.payment_method,
    });
    this.refunds.set(refundId, { owner: requester, obj: refund });
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded = refundedAfter;
    charge.refunded = refundedAfter === charge.amount;
    charge.refunds?.data.unshift(clone(refund));
    this.emit('refund.created', refund, requester);
    this.emit('charge.refunded', charge, requester, previous);
    if (fee && feeRefund > 0) {
      const payer = info.feePayer as string;
      const feeRefundId = this.id('fr');
      const platformTxn = this.ledger(
        this.platformId,
        -feeRefund,
        0,
        charge.currency,
        'application_fee_refund',
        'platform_earning_refund',
        feeRefundId,
      );
      this.ledger(payer, feeRefund, 0, charge.currency, 'application_fee_refund', 'platform_earning_refund', feeRefundId);
      const feeRefundObj = newFeeRefund({
        id: feeRefundId,
        created: this.nowSeconds(),
        amount: feeRefund,
        currency: charge.currency,
        fee: fee.obj.id,
        balanceTransaction: platformTxn.id,
      });
      fee.obj.amount_refunded += feeRefund;
      fee.obj.refunded = fee.obj.amount_refunded === fee.obj.amount;
      fee.obj.refunds.data.unshift(feeRefundObj);
      info.feeRefundedByRefunds += feeRefund;
      this.emit('application_fee.refunded', fee.obj, this.platformId);
    }
    return refund;
  }

  private reverse(
    transfer: Stored<Stripe.Transfer>,
    amount: number,
    sourceRefund: string | null,
    metadata: Record<string, string>,
  ): Stripe.TransferReversal {
    const destination = transfer.obj.destination as string;
    const reversalId = this.id('trr');
    const platformTxn = this.ledger(
      transfer.owner,
      amount,
      0,
      transfer.obj.currency,
      'transfer_refund',
      'transfer_reversal',
      reversalId,
    );
    this.ledger(destination, -amount, 0, transfer.obj.currency, 'payment_refund', 'refund', reversalId);
    const reversal = newTransferReversal({
      id: reversalId,
      created: this.nowSeconds(),
      amount,
      currency: transfer.obj.currency,
      transfer: transfer.obj.id,
      sourceRefund,
      destinationPaymentRefund: null,
      metadata,
      balanceTransaction: platformTxn.id,
    });
    this.reversals.set(reversalId, { owner: transfer.owner, obj: reversal });
    const previous = { amount_reversed: transfer.obj.amount_reversed, reversed: transfer.obj.reversed };
    transfer.obj.amount_reversed += amount;
    transfer.obj.reversed = transfer.obj.amount_reversed === transfer.obj.amount;
    transfer.obj.reversals.data.unshift(clone(reversal));
    this.emit('transfer.reversed', transfer.obj, transfer.owner, previous);
    return reversal;
  }

  private createTransfer(p: Params, requester: string): Stripe.Transfer {
    if (requester !== this.platformId)
      throw invalidRequest('Transfers are created by the platform, without the Stripe-Account header.', { status: 403 });
    const amount = p.amount as number;
    const currency = (p.currency as string).toLowerCase();
    if (!currencyInfo(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
    if (amount < 1)
      throw invalidRequest('This value must be greater than or equal to 1.', {
        param: 'amount',
        code: 'parameter_invalid_integer',
      });
    const destination = p.destination as string;
    const account = this.accounts.get(destination);
    if (!account)
      throw invalidRequest(`No such destination: '${destination}'`, { param: 'destination', code: 'resource_missing' });
    if ((account.capabilities as Record<string, string> | undefined)?.transfers !== 'active') {
      throw invalidRequest(
        'Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments',
        { param: 'destination', code: 'insufficient_capabilities_for_transfer' },
      );
    }
    const source = str(p.source_transaction);
    if (source) {
      const charge = this.charges.get(source);
      if (!charge || charge.owner !== this.platformId)
        throw invalidRequest(`No such charge: '${source}'`, { param: 'source_transaction', code: 'resource_missing' });
      if (charge.obj.status !== 'succeeded')
        throw invalidRequest(`The source transaction ${source} has not succeeded.`, { param: 'source_transaction' });
      if (charge.obj.currency !== currency) {
        throw invalidRequest(
          `The currency of source_transaction's balance transaction (${charge.obj.currency}) must be the same as the transfer currency (${currency})`,
          { param: 'currency' },
        );
      }
      const already = [...this.transfers.values()]
        .filter((t) => t.obj.source_transaction === source)
        .reduce((s, t) => s + t.obj.amount - t.obj.amount_reversed, 0);
      const room = charge.obj.amount - charge.obj.amount_refunded - already;
      if (amount > room) {
        throw invalidRequest(
          `The transfer amount (${formatAmount(amount, currency)}) exceeds what remains of source transaction ${source} (${formatAmount(room, currency)}).`,
          { param: 'amount', code: 'balance_insufficient' },
        );
      }
    } else if (this.available(this.platformId, currency) < amount) {
      throw invalidRequest(
        'You have insufficient available funds in your Stripe account. Try adding funds directly to your available balance by creating Charges using the 4000000000000077 test card.',
        { code: 'balance_insufficient' },
      );
    }
    const transfer = this.moveToConnected(
      this.platformId,
      destination,
      amount,
      currency,
      source,
      str(p.transfer_group),
      meta(p.metadata),
      str(p.description),
    );
    this.emit('transfer.created', transfer, this.platformId);
    return transfer;
  }

  private createReversal(transferId: string, p: Params, requester: string): Stripe.TransferReversal {
    const stored = this.transfers.get(transferId);
    if (!stored || stored.owner !== requester) throw noSuch('transfer', transferId, 'id');
    const remaining = stored.obj.amount - stored.obj.amount_reversed;
    if (remaining === 0)
      throw invalidRequest(`Transfer ${transferId} has already been fully reversed.`, { code: 'transfer_already_reversed' });
    const amount = num(p.amount) ?? remaining;
    if (amount < 1)
      throw invalidRequest('This value must be greater than or equal to 1.', {
        param: 'amount',
        code: 'parameter_invalid_integer',
      });
    if (amount > remaining) {
      throw invalidRequest(
        `Reversal amount (${formatAmount(amount, stored.obj.currency)}) is greater than the amount left on the transfer (${formatAmount(remaining, stored.obj.currency)}).`,
        { param: 'amount' },
      );
    }
    const destination = stored.obj.destination as string;
    if (this.available(destination, stored.obj.currency) < amount) {
      throw invalidRequest(`Insufficient funds in the connected account ${destination} to reverse this transfer.`, {
        code: 'balance_insufficient',
      });
    }
    return this.reverse(stored, amount, null, meta(p.metadata));
  }

  // ---- balance, events -------------------------------------------------------------------------------

  private balanceObject(account: string): Stripe.Balance {
    const totals = new Map<string, number>();
    for (const { owner, obj } of this.balanceTransactions.values()) {
      if (owner === account) totals.set(obj.currency, (totals.get(obj.currency) ?? 0) + obj.net);
    }
    if (totals.size === 0)
      totals.set(account === this.platformId ? 'usd' : (this.accounts.get(account)?.default_currency ?? 'usd'), 0);
    const rows = [...totals].map(([currency, amount]) => ({ amount, currency, source_types: { card: amount } }));
    return {
      object: 'balance',
      available: rows,
      livemode: false,
      pending: rows.map((r) => ({ amount: 0, currency: r.currency, source_types: { card: 0 } })),
    };
  }

  private listEvents(p: Params, account: string): Stripe.ApiList<Stripe.Event> {
    const types = (p.types as string[] | undefined) ?? (str(p.type) ? [p.type as string] : null);
    const match = (type: string) => !types || types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : type === t));
    const items = this.eventList.filter((e) => (e.account ?? this.platformId) === account && match(e.type));
    return this.list(items, p, '/v1/events');
  }

  // ---- checkout --------------------------------------------------------------------------------------

  private createSession(p: Params, requester: string): Stripe.Checkout.Session {
    if (p.mode !== 'payment') {
      throw invalidRequest(`mode=${String(p.mode)} is not simulated by the stripe-marketplace sandbox; use mode=payment.`, {
        param: 'mode',
      });
    }
    const items = (p.line_items as Params[] | undefined) ?? [];
    if (items.length === 0) throw missingParam('line_items');
    const lineItems: SessionExtra['lineItems'] = [];
    let currency: string | null = null;
    items.forEach((item, i) => {
      if (item.price)
        throw invalidRequest(`No such price: '${String(item.price)}' (the sandbox accepts price_data only)`, {
          param: `line_items[${i}][price]`,
          code: 'resource_missing',
        });
      const data = item.price_data as Params | undefined;
      if (!data)
        throw invalidRequest(`You must specify either \`price\` or \`price_data\` in line_items[${i}].`, {
          param: `line_items[${i}]`,
          code: 'parameter_missing',
        });
      const quantity = num(item.quantity);
      if (quantity === null) throw missingParam(`line_items[${i}][quantity]`);
      if (quantity < 1) throw invalidRequest('Quantity must be greater than 0.', { param: `line_items[${i}][quantity]` });
      const unitAmount = num(data.unit_amount);
      if (unitAmount === null) throw missingParam(`line_items[${i}][price_data][unit_amount]`);
      const itemCurrency = (data.currency as string).toLowerCase();
      if (currency && currency !== itemCurrency)
        throw invalidRequest('All line items must use the same currency.', { param: `line_items[${i}][price_data][currency]` });
      currency = itemCurrency;
      const product = data.product_data as Params | undefined;
      if (!product) throw missingParam(`line_items[${i}][price_data][product_data]`);
      lineItems.push({ name: product.name as string, quantity, unitAmount });
    });
    const total = lineItems.reduce((s, i) => s + i.unitAmount * i.quantity, 0);
    this.validateAmount(total, currency as unknown as string, 'line_items');
    const intentData = (p.payment_intent_data as Params | undefined) ?? {};
    const transferData = intentData.transfer_data as Params | undefined;
    this.validateSplit(
      num(intentData.application_fee_amount),
      total,
      transferData ? (transferData.destination as string) : null,
      requester,
      'payment_intent_data',
    );
    const id = this.id('cs_test');
    const created = this.nowSeconds();
    const session = newCheckoutSession({
      id,
      created,
      expiresAt: num(p.expires_at) ?? created + CHECKOUT_TTL_SECONDS,
      currency: currency as unknown as string,
      amountTotal: total,
      successUrl: str(p.success_url),
      cancelUrl: str(p.cancel_url),
      clientReferenceId: str(p.client_reference_id),
      customerEmail: str(p.customer_email),
      metadata: meta(p.metadata),
      url: `${this.origin}/checkout/${id}`,
    });
    this.sessions.set(id, { owner: requester, obj: session });
    this.sessionExtra.set(id, { lineItems, intentData });
    return session;
  }

  private paySession(stored: Stored<Stripe.Checkout.Session>, paymentMethod: string): Stripe.Checkout.Session {
    const session = stored.obj;
    if (session.status === 'open' && this.nowSeconds() >= session.expires_at) this.expire(stored);
    if (session.status !== 'open')
      throw invalidRequest(`This Checkout Session is ${session.status} and can no longer be paid.`, {
        code: 'checkout_session_unexpected_state',
      });
    const extra = this.sessionExtra.get(session.id) as SessionExtra;
    const data = extra.intentData;
    let intent: Stored<Stripe.PaymentIntent>;
    const existing = typeof session.payment_intent === 'string' ? this.intents.get(session.payment_intent) : undefined;
    if (existing) intent = existing;
    else {
      const created = this.createPaymentIntent(
        {
          amount: session.amount_total,
          currency: session.currency,
          ...(data.application_fee_amount != null ? { application_fee_amount: data.application_fee_amount } : {}),
          ...(data.transfer_data ? { transfer_data: data.transfer_data } : {}),
          metadata: data.metadata ?? {},
          description: data.description ?? null,
          on_behalf_of: data.on_behalf_of ?? null,
          transfer_group: data.transfer_group ?? null,
          receipt_email: data.receipt_email ?? session.customer_email,
          automatic_payment_methods: { enabled: true, allow_redirects: 'always' },
        },
        stored.owner,
      );
      intent = this.intents.get(created.id) as Stored<Stripe.PaymentIntent>;
      session.payment_intent = created.id;
    }
    this.confirm(intent, { payment_method: paymentMethod, __hosted: true });
    session.status = 'complete';
    session.payment_status = 'paid';
    session.url = null;
    session.customer_details = {
      address: null,
      business_name: null,
      email: session.customer_email,
      individual_name: null,
      name: null,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    };
    this.emit('checkout.session.completed', session, stored.owner);
    return session;
  }

  private expire(stored: Stored<Stripe.Checkout.Session>): void {
    stored.obj.status = 'expired';
    stored.obj.url = null;
    this.emit('checkout.session.expired', stored.obj, stored.owner);
  }

  private expireSession(id: string, _p: Params, requester: string): Stripe.Checkout.Session {
    const stored = this.sessions.get(id);
    if (!stored || stored.owner !== requester) throw noSuch('checkout.session', id, 'session');
    if (stored.obj.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status of \`open\` can be expired. This session has a status of \`${stored.obj.status}\`.`,
        {
          code: 'checkout_session_unexpected_state',
        },
      );
    }
    this.expire(stored);
    return stored.obj;
  }
}

class OAuthError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

function businessProfile(p: Params, base: Stripe.Account.BusinessProfile | null = null): Stripe.Account.BusinessProfile {
  const profile: Stripe.Account.BusinessProfile = base ?? {
    mcc: null,
    minority_owned_business_designation: null,
    name: null,
    specified_commercial_transactions_act_url: null,
    support_address: null,
    support_email: null,
    support_phone: null,
    support_url: null,
    url: null,
  };
  return { ...profile, ...(p as Partial<Stripe.Account.BusinessProfile>) };
}

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

/** Stripe's metadata update: keys merge in, an empty value removes a key, and an empty `metadata` clears all. */
function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === null) return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(meta(update))) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

function defaultCurrencyFor(country: string): string {
  const map: Record<string, string> = {
    GB: 'gbp',
    US: 'usd',
    CA: 'cad',
    AU: 'aud',
    JP: 'jpy',
    CH: 'chf',
    SE: 'sek',
    NO: 'nok',
    DK: 'dkk',
    NZ: 'nzd',
    SG: 'sgd',
    HK: 'hkd',
    MX: 'mxn',
    BR: 'brl',
    IN: 'inr',
    PL: 'pln',
  };
  return map[country] ?? 'eur';
}

// ---- parameter specs ---------------------------------------------------------------------------------

const LIST: SpecObject = {
  limit: 'integer',
  starting_after: 'string',
  ending_before: 'string',
  expand: 'strings',
  created: 'any',
};

const BUSINESS_PROFILE: SpecObject = {
  mcc: 'string',
  name: 'string',
  product_description: 'string',
  support_email: 'string',
  support_phone: 'string',
  support_url: 'string',
  url: 'string',
  support_address: 'any',
  annual_revenue: 'any',
  estimated_worker_count: 'integer',
  minority_owned_business_designation: 'strings',
  monthly_estimated_revenue: 'any',
};

const CAPABILITIES: SpecObject = Object.fromEntries(
  [
    'transfers',
    'card_payments',
    'crypto_transfers',
    'legacy_payments',
    'link_payments',
    'bacs_debit_payments',
    'sepa_debit_payments',
    'us_bank_account_ach_payments',
  ].map((c) => [c, { requested: 'boolean' }]),
);

const ACCOUNT_CREATE: SpecObject = {
  ...EXPAND,
  type: 'enum:custom|express|standard',
  controller: {
    fees: { payer: 'enum:account|application' },
    losses: { payments: 'enum:application|stripe' },
    requirement_collection: 'enum:application|stripe',
    stripe_dashboard: { type: 'enum:express|full|none' },
  },
  country: 'string',
  email: 'string',
  metadata: 'metadata',
  capabilities: CAPABILITIES,
  business_type: 'enum:company|government_entity|individual|non_profit',
  business_profile: BUSINESS_PROFILE,
  default_currency: 'string',
  settings: 'any',
  tos_acceptance: 'any',
  individual: 'any',
  company: 'any',
  external_account: 'any',
};

const ACCOUNT_UPDATE: SpecObject = {
  ...EXPAND,
  email: 'string',
  metadata: 'metadata',
  capabilities: CAPABILITIES,
  business_profile: BUSINESS_PROFILE,
  settings: 'any',
  default_currency: 'string',
};

const ACCOUNT_LINK_CREATE: SpecObject = {
  ...EXPAND,
  account: 'string!',
  type: 'enum:account_onboarding|account_update!',
  refresh_url: 'string',
  return_url: 'string!',
  collect: 'enum:currently_due|eventually_due',
  collection_options: { fields: 'enum:currently_due|eventually_due', future_requirements: 'enum:include|omit' },
};

const TRANSFER_DATA: SpecObject = { destination: 'string!', amount: 'integer' };

const PI_COMMON: SpecObject = {
  ...EXPAND,
  metadata: 'metadata',
  description: 'string',
  receipt_email: 'string',
  payment_method: 'string',
  application_fee_amount: 'integer',
  statement_descriptor: 'string',
  statement_descriptor_suffix: 'string',
  transfer_group: 'string',
  setup_future_usage: 'enum:off_session|on_session',
  shipping: 'any',
  payment_method_options: 'any',
};

const PI_CREATE: SpecObject = {
  ...PI_COMMON,
  amount: 'integer!',
  currency: 'string!',
  transfer_data: TRANSFER_DATA,
  automatic_payment_methods: { enabled: 'boolean!', allow_redirects: 'enum:always|never' },
  excluded_payment_method_types: 'strings',
  on_behalf_of: 'string',
  capture_method: 'enum:automatic|automatic_async|manual',
  confirmation_method: 'enum:automatic|manual',
  confirm: 'boolean',
  return_url: 'string',
  customer: 'string',
  // Writable only on API versions before 2026-09-30 (checked before this spec applies).
  payment_method_types: 'strings',
};

const PI_UPDATE: SpecObject = {
  ...PI_COMMON,
  amount: 'integer',
  currency: 'string',
  transfer_data: { amount: 'integer', destination: 'string' },
};

const PI_CONFIRM: SpecObject = {
  ...EXPAND,
  payment_method: 'string',
  return_url: 'string',
  receipt_email: 'string',
  off_session: 'boolean',
  payment_method_options: 'any',
  setup_future_usage: 'enum:off_session|on_session',
  shipping: 'any',
  use_stripe_sdk: 'boolean',
};

const PI_CANCEL: SpecObject = { ...EXPAND, cancellation_reason: 'enum:abandoned|duplicate|fraudulent|requested_by_customer' };

const REFUND_CREATE: SpecObject = {
  ...EXPAND,
  charge: 'string',
  payment_intent: 'string',
  amount: 'integer',
  reason: 'enum:duplicate|fraudulent|requested_by_customer',
  metadata: 'metadata',
  reverse_transfer: 'boolean',
  refund_application_fee: 'boolean',
  instructions_email: 'string',
};

const TRANSFER_CREATE: SpecObject = {
  ...EXPAND,
  amount: 'integer!',
  currency: 'string!',
  destination: 'string!',
  source_transaction: 'string',
  transfer_group: 'string',
  metadata: 'metadata',
  description: 'string',
};

const REVERSAL_CREATE: SpecObject = {
  ...EXPAND,
  amount: 'integer',
  metadata: 'metadata',
  description: 'string',
  refund_application_fee: 'boolean',
};

const SESSION_CREATE: SpecObject = {
  ...EXPAND,
  mode: 'enum:payment|setup|subscription!',
  line_items: [
    {
      price: 'string',
      quantity: 'integer',
      price_data: {
        currency: 'string!',
        unit_amount: 'integer',
        product: 'string',
        product_data: { name: 'string!', description: 'string', images: 'strings', metadata: 'metadata' },
        tax_behavior: 'enum:exclusive|inclusive|unspecified',
      },
    },
  ],
  success_url: 'string',
  cancel_url: 'string',
  client_reference_id: 'string',
  customer_email: 'string',
  metadata: 'metadata',
  expires_at: 'integer',
  locale: 'string',
  ui_mode: 'enum:hosted',
  payment_intent_data: {
    application_fee_amount: 'integer',
    transfer_data: TRANSFER_DATA,
    metadata: 'metadata',
    on_behalf_of: 'string',
    description: 'string',
    transfer_group: 'string',
    receipt_email: 'string',
    statement_descriptor: 'string',
    statement_descriptor_suffix: 'string',
    capture_method: 'enum:automatic|automatic_async',
  },
  excluded_payment_method_types: 'strings',
  payment_method_types: 'strings',
};
