import { TEST_CARD_NUMBERS } from './cards.js';
import { completeOnboarding } from './controls.js';
import type { SandboxCore } from './core/core.js';
import { SandboxApiError } from './errors.js';
import type { FormObject } from './form.js';
import { checkoutPage, messagePage, onboardingPage } from './pages.js';
import { ACCOUNT_LINKS } from './resources/account-links.js';
import { paySession, SESSION_EXTRA, SESSIONS } from './resources/checkout-sessions.js';
import { LOGIN_LINKS } from './resources/login-links.js';
import { portalHostedPage } from './resources/billing-portal.js';
import { displayAmount } from './rules/money.js';

const html = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
const redirect = (location: string) => new Response(null, { status: 303, headers: { location } });

/** The hosted pages: account link onboarding, Checkout, and Express dashboard login links. */
export function hostedPage(core: SandboxCore, method: string, url: URL, form: FormObject): Response {
  let match = /^\/connect\/onboarding\/([\w-]+)$/.exec(url.pathname);
  if (match) {
    const response = onboarding(core, method, url, form, match[1] as string);
    if (response) return response;
  }
  match = /^\/checkout\/(cs_\w+)(\/cancel)?$/.exec(url.pathname);
  if (match) {
    const response = checkout(core, method, url, form, match[1] as string, match[2] !== undefined);
    if (response) return response;
  }
  match = /^\/express\/([\w-]+)$/.exec(url.pathname);
  if (match && method === 'GET') {
    const link = core.state(LOGIN_LINKS).get(match[1] as string);
    if (!link || link.used)
      return html(404, messagePage('Link expired', 'Login links work once. Ask the platform for a new one.'));
    link.used = true;
    return html(200, messagePage('Express dashboard', `Signed in to ${link.account}.`));
  }
  const portal = portalHostedPage(core, method, url, form);
  if (portal) return portal;
  return html(404, messagePage('Not found', `The sandbox serves nothing at ${url.pathname}.`));
}

function onboarding(core: SandboxCore, method: string, url: URL, form: FormObject, token: string): Response | undefined {
  const link = core.state(ACCOUNT_LINKS).get(token);
  if (!link) return html(404, messagePage('Link not found', 'This onboarding link does not exist.'));
  const expired = core.nowSeconds() >= link.expiresAt;
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
      core.withRequest({ account: core.platformId, path: url.pathname }, () => completeOnboarding(core, link.account));
    }
    return redirect(link.returnUrl);
  }
  return undefined;
}

function checkout(
  core: SandboxCore,
  method: string,
  url: URL,
  form: FormObject,
  id: string,
  cancel: boolean,
): Response | undefined {
  const stored = core.state(SESSIONS).get(id);
  if (!stored) return html(404, messagePage('Checkout not found', 'This Checkout Session does not exist.'));
  const session = stored.obj;
  if (cancel)
    return session.cancel_url ? redirect(session.cancel_url) : html(200, messagePage('Canceled', 'You can close this page.'));
  if (session.status !== 'open') return html(410, messagePage('Checkout closed', `This Checkout Session is ${session.status}.`));
  const view = (status: number, error?: string) =>
    html(
      status,
      checkoutPage({
        sessionId: session.id,
        amount: displayAmount(session.amount_total ?? 0, session.currency ?? 'usd'),
        items: (core.state(SESSION_EXTRA).get(session.id)?.lineItems ?? []).map((i) => ({
          name: i.name,
          quantity: i.quantity,
          amount: displayAmount(i.unitAmount * i.quantity, session.currency ?? 'usd'),
        })),
        action: url.pathname,
        cancelUrl: session.cancel_url ? `${url.pathname}/cancel` : null,
        ...(error ? { error } : {}),
      }),
    );
  if (method === 'GET') return view(200);
  if (method !== 'POST') return undefined;
  const number = String(form.card_number ?? form.payment_method ?? '').replace(/\s+/g, '');
  const paymentMethod = number.startsWith('pm_') ? number : TEST_CARD_NUMBERS[number];
  if (!paymentMethod) return view(400, 'Use one of the test card numbers below.');
  try {
    const paid = core.withRequest({ account: stored.owner, path: url.pathname }, () => paySession(core, stored, paymentMethod));
    const target = (paid.success_url ?? '').replace('{CHECKOUT_SESSION_ID}', paid.id);
    return target ? redirect(target) : html(200, messagePage('Paid', 'Thank you.'));
  } catch (error) {
    if (error instanceof SandboxApiError) return view(error.status, error.body.message);
    throw error;
  }
}
