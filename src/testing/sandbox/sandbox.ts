import type Stripe from 'stripe';
import { completeOnboarding, createOAuthCode, payCheckoutSession } from './controls.js';
import { advanceBilling } from './controls-billing.js';
import * as lifecycle from './controls-lifecycle.js';
import { SandboxCore } from './core/core.js';
import { dispatch } from './core/dispatch.js';
import { RouteTable } from './core/routes.js';
import type { RawRequest, RawResponse, SandboxBalance, SandboxOptions } from './core/types.js';
import { clone } from './core/util.js';
import { dashboardResponse } from './dashboard.js';
import { parseForm } from './form.js';
import { hostedPage } from './hosted.js';
import { requireAccount } from './resources/accounts.js';
import { RESOURCES } from './resources/index.js';
import type { DeliveryAttempt, FlushResult, WebhookEndpoint, WebhookEndpointOptions } from './webhooks.js';

export { SANDBOX_API_VERSION } from './core/types.js';
export type { RawRequest, RawResponse, SandboxBalance, SandboxOptions } from './core/types.js';

/** One table for every sandbox: the routes of every registered resource module. */
const ROUTES = new RouteTable(RESOURCES);

/**
 * A stateful, offline simulation of the part of Stripe that Connect marketplaces use. Create it with
 * `createSandbox()`; see the README section "Testing with the offline sandbox".
 */
export class Sandbox {
  protected readonly core: SandboxCore;

  constructor(options: SandboxOptions = {}) {
    this.core = new SandboxCore(options);
  }

  /** The platform's own account id. */
  get platformId(): string {
    return this.core.platformId;
  }

  // ---- clock, hosted pages ----

  /** The sandbox's clock in milliseconds. */
  nowMs(): number {
    return this.core.nowMs();
  }

  /**
   * Moves the sandbox's clock forward, for example past an account link's expiry. Pending funds whose
   * `available_on` it passes become available (`balance.available`), pending payouts arrive (`payout.paid` or
   * `payout.failed`), and connected accounts with a bank account are paid out once per day (`payout.created`).
   * Billing runs what fell due on the way: subscription renewals (a draft invoice, finalized and charged an hour
   * later), cancellations at period end.
   */
  advanceTime(ms: number): void {
    lifecycle.advanceTime(this.core, ms);
    advanceBilling(this.core);
  }

  /** The origin that hosted-page URLs start with. */
  get baseUrl(): string {
    return this.core.origin;
  }

  /** @internal Used by `listen()`. */
  setBaseUrl(url: string): void {
    this.core.setOrigin(url);
  }

  // ---- webhooks, events ----

  /** Registers an endpoint (a URL or an in-process handler) and returns its id and signing secret. */
  addWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
    return this.core.webhooks.addEndpoint(options);
  }

  /** Delivers every pending event now (retrying failures at once, up to the retry limit) and reports the attempts. */
  flushWebhooks(): Promise<FlushResult> {
    return this.core.webhooks.flush();
  }

  /** Every webhook delivery attempt so far. */
  deliveries(): readonly DeliveryAttempt[] {
    return this.core.webhooks.attempts();
  }

  /** Every event emitted so far, oldest first (platform and Connect events). */
  events(): Stripe.Event[] {
    return clone(this.core.events.list);
  }

  /** Stops timers (pending automatic deliveries). */
  close(): void {
    this.core.webhooks.close();
  }

  // ---- balances, accounts ----

  /** Available balances of the platform and every connected account, per currency, in minor units. */
  balances(): SandboxBalance[] {
    const rows: SandboxBalance[] = this.core.ledger.allTotals().map(({ account, currency, amount }) => ({
      account: account === this.platformId ? 'platform' : account,
      currency,
      available: amount,
    }));
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

  /** The account, as Stripe would return it. Throws when unknown. */
  account(accountId: string): Stripe.Account {
    return clone(requireAccount(this.core, accountId));
  }

  // ---- test-only controls ----

  /**
   * Finishes onboarding for a connected account, as if the vendor completed the hosted form: requirements are
   * cleared, requested capabilities become active, details are submitted and payouts enabled. Emits
   * `capability.updated` and `account.updated` (Connect events).
   */
  completeOnboarding(accountId: string): Stripe.Account {
    return completeOnboarding(this.core, accountId);
  }

  /**
   * Mints a single-use OAuth authorization code, as Stripe's authorize page would after the user connects.
   * Without `accountId`, a new Standard account (already onboarded) is created for it.
   */
  createOAuthCode(accountId?: string): { code: string; accountId: string } {
    return createOAuthCode(this.core, accountId);
  }

  /**
   * Pays an open Checkout Session as the hosted page does, with a test payment method. Resolves to the
   * completed session; rejects with the card error when the card is declined (the session stays open).
   */
  async payCheckoutSession(sessionId: string, paymentMethod = 'pm_card_visa'): Promise<Stripe.Checkout.Session> {
    return payCheckoutSession(this.core, sessionId, paymentMethod);
  }

  /**
   * Closes an open dispute as the card network would decide it. `won` reinstates the withdrawn amount and dispute
   * fee (`charge.dispute.funds_reinstated`); `lost` leaves them withdrawn; an inquiry closes as `warning_closed`.
   * Emits `charge.dispute.closed`.
   */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Stripe.Dispute {
    return lifecycle.closeDispute(this.core, disputeId, outcome);
  }

  /**
   * Fails a pending, in-transit or already paid payout as the bank would (`failureCode` default `account_closed`; also
   * `no_account`, `insufficient_funds`, `debit_not_authorized`, `invalid_currency`): the amount returns to the account's
   * balance, its bank account becomes `errored` (no scheduled payouts until another is added), and `payout.failed` is
   * emitted. For payouts that should fail from the start, use a failing test bank account number instead.
   */
  failPayout(payoutId: string, failureCode?: string): Stripe.Payout {
    return lifecycle.failPayout(this.core, payoutId, failureCode);
  }

  /**
   * Fails a refund after it was created, as the card network may: `failed` with `failure_reason`, the amount back
   * in the refunding account's balance, and `refund.failed` emitted.
   */
  failRefund(refundId: string, reason?: 'lost_or_stolen_card' | 'expired_or_canceled_card' | 'unknown'): Stripe.Refund {
    return lifecycle.failRefund(this.core, refundId, reason);
  }

  // ---- transport entry points ----

  /**
   * Handles one API request (what stripe-node sends through its HttpClient): authentication, the
   * `Stripe-Account` header, idempotency, routing, and Stripe-shaped errors.
   */
  async handleApiRequest(raw: RawRequest): Promise<RawResponse> {
    return dispatch(this.core, ROUTES, raw);
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
    if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) return dashboardResponse(this.core, ROUTES);
    const form = method === 'POST' ? parseForm(await request.text()) : {};
    return hostedPage(this.core, method, url, form);
  }
}
