/**
 * HTML for the example marketplace, shared by the Express and Fastify servers so that both show
 * exactly the same pages. Plain template strings: no template engine to install.
 */
import { formatAmount, type OrderRecord, type TransferRecord, type VendorRecord } from 'stripe-marketplace';

const SYMBOLS: Record<string, string> = { gbp: '£', usd: '$', eur: '€' };

/** `money(1760, 'gbp')` is `£17.60`. The digits come from `formatAmount`, which never uses floats. */
export function money(amount: number, currency: string): string {
  const formatted = formatAmount(amount, currency);
  const symbol = SYMBOLS[currency.toLowerCase()];
  return symbol ? `${symbol}${formatted.replace(/ [A-Z]{3}$/, '')}` : formatted;
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function layout(title: string, body: string, options: { refreshSeconds?: number; head?: string } = {}): string {
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}
<title>${escapeHtml(title)} · RideShare marketplace</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  nav a { margin-right: 1rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .status { font-weight: 600; }
  .card { border: 1px solid #ddd; border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
  button { font-size: 1rem; padding: .5rem 1rem; }
  .muted { color: #666; }
</style>
${options.head ?? ''}
</head>
<body>
<nav><a href="/">Home</a><a href="/vendors/new">Drive with us</a><a href="/shop">Book a ride</a><a href="/platform">Platform</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`;
}

export function homePage(mode: string): string {
  return layout(
    'RideShare marketplace',
    `<p>An example marketplace built with <code>stripe-marketplace</code>. Drivers onboard with Stripe Connect; riders pay;
the platform keeps a 12 % commission.</p>
<p class="muted">Stripe: <strong id="stripe-mode">${escapeHtml(mode)}</strong></p>
<ul>
<li><a href="/vendors/new">Drive with us</a>: sign up and onboard as a driver</li>
<li><a href="/shop">Book a ride</a>: pay a driver</li>
<li><a href="/platform">Platform</a>: every order with its fee</li>
</ul>`,
  );
}

export function vendorSignupPage(): string {
  return layout(
    'Drive with us',
    `<form method="post" action="/vendors">
<p><label>Your name <input name="name" required maxlength="60" value="Ada"></label></p>
<p><label>Email <input name="email" type="email" required value="ada@example.com"></label></p>
<p><button type="submit" id="signup">Sign up and onboard with Stripe</button></p>
</form>`,
  );
}

const STATUS_TEXT: Record<string, string> = {
  onboarding: 'Onboarding not finished: Stripe still needs your details.',
  pending_verification: 'Submitted: Stripe is verifying your details.',
  action_required: 'Stripe needs more information from you.',
  restricted: 'Your account is restricted and cannot receive payments.',
  active: 'Active: you can receive payments.',
  rejected: 'Your account was rejected.',
  disconnected: 'Your account is disconnected from the platform.',
};

export function vendorStatusPage(vendor: VendorRecord): string {
  // Stripe lists a past-due requirement in currently_due as well: show each once.
  const due = [...new Set([...vendor.requirements.pastDue, ...vendor.requirements.currentlyDue])];
  return layout(
    `Driver ${vendor.vendorId}`,
    `<div class="card">
<p>Status as Stripe reports it: <span class="status" id="vendor-status">${escapeHtml(vendor.status)}</span></p>
<p>${escapeHtml(STATUS_TEXT[vendor.status] ?? '')}</p>
<p class="muted">Charges enabled: ${vendor.chargesEnabled} · Payouts enabled: ${vendor.payoutsEnabled} ·
Transfers: ${escapeHtml(vendor.transfersCapability)}</p>
${due.length > 0 ? `<p>Still due:</p><ul id="requirements">${due.map((field) => `<li>${escapeHtml(field)}</li>`).join('')}</ul>` : ''}
${vendor.status === 'active' ? '' : `<p><a href="/vendors/${encodeURIComponent(vendor.vendorId)}/onboard" id="continue-onboarding">Continue onboarding</a></p>`}
</div>`,
  );
}

export interface Product {
  vendorId: string;
  /** A fresh order id per page view: submitting the form twice pays once. */
  orderId: string;
  name: string;
  amount: number;
  currency: string;
}

/** Two legs with two drivers, paid at once. */
export interface SharedTrip {
  orderId: string;
  currency: string;
  legs: { vendorId: string; name: string; amount: number }[];
}

function tripCard(trip: SharedTrip): string {
  const total = trip.legs.reduce((sum, leg) => sum + leg.amount, 0);
  const [first, second] = trip.legs;
  return `<div class="card" id="shared-trip">
<p><strong>Shared trip</strong>, one payment for two drivers: ${escapeHtml(money(total, trip.currency))}</p>
<ul>${trip.legs.map((leg) => `<li>${escapeHtml(leg.name)} with ${escapeHtml(leg.vendorId)}: ${escapeHtml(money(leg.amount, trip.currency))}</li>`).join('')}</ul>
<form method="post" action="/trips"><input type="hidden" name="first" value="${escapeHtml(first?.vendorId ?? '')}">
<input type="hidden" name="second" value="${escapeHtml(second?.vendorId ?? '')}">
<input type="hidden" name="orderId" value="${escapeHtml(trip.orderId)}">
<button type="submit" id="buy-trip">Book the shared trip</button></form>
</div>`;
}

export function shopPage(products: Product[], trip?: SharedTrip): string {
  const items =
    products.length === 0
      ? '<p>No driver is active yet. <a href="/vendors/new">Onboard one first</a>.</p>'
      : products
          .map(
            (p) => `<div class="card">
<p><strong>${escapeHtml(p.name)}</strong> with ${escapeHtml(p.vendorId)}: ${escapeHtml(money(p.amount, p.currency))}</p>
<form method="post" action="/orders"><input type="hidden" name="vendorId" value="${escapeHtml(p.vendorId)}">
<input type="hidden" name="orderId" value="${escapeHtml(p.orderId)}">
<button type="submit" class="buy" data-vendor="${escapeHtml(p.vendorId)}">Book and pay</button></form>
</div>`,
          )
          .join('\n');
  return layout('Book a ride', `${items}${trip ? `\n${tripCard(trip)}` : ''}`);
}

/** The Payment Element page, used with real Stripe keys (Stripe.js cannot load offline). */
/**
 * Checkout with real keys: the Express Checkout Element shows Apple Pay and Google Pay buttons where the browser and the
 * domain allow them (https://docs.stripe.com/elements/express-checkout-element), above the Payment Element for cards
 * and the other methods (https://docs.stripe.com/payments/payment-element). Both confirm the same PaymentIntent. Wallets
 * appear only on a domain registered for the account that is the merchant of record: here the platform (destination
 * charges), see `PAYMENT_DOMAIN` in the README.
 */
export function paymentElementPage(options: {
  publishableKey: string;
  clientSecret: string;
  orderId: string;
  baseUrl: string;
}): string {
  const returnUrl = `${options.baseUrl}/orders/${encodeURIComponent(options.orderId)}`;
  return layout(
    'Pay',
    `<div id="express-checkout-element"></div>
<form id="payment-form"><div id="payment-element"></div><p><button id="pay">Pay</button></p><p id="error" role="alert"></p></form>
<script>
const stripe = Stripe(${JSON.stringify(options.publishableKey)});
const elements = stripe.elements({ clientSecret: ${JSON.stringify(options.clientSecret)} });
const confirmParams = { return_url: ${JSON.stringify(returnUrl)} };
const showError = (error) => { if (error) document.getElementById('error').textContent = error.message; };
const wallets = elements.create('expressCheckout', { paymentMethods: { applePay: 'auto', googlePay: 'auto' } });
wallets.on('confirm', async () => showError((await stripe.confirmPayment({ elements, confirmParams })).error));
wallets.mount('#express-checkout-element');
elements.create('payment').mount('#payment-element');
document.getElementById('payment-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  showError((await stripe.confirmPayment({ elements, confirmParams })).error);
});
</script>`,
    { head: '<script src="https://js.stripe.com/v3/"></script>' },
  );
}

/**
 * Embedded onboarding with real keys: Connect.js (https://docs.stripe.com/connect/get-started-connect-embedded-components)
 * shows Stripe's onboarding form inside this page. It asks `sessionUrl` for an Account Session's client secret whenever it
 * needs one (each is single-use), and on exit sends the driver to `returnUrl`, which asks Stripe how far they got.
 */
export function embeddedOnboardingPage(options: { publishableKey: string; sessionUrl: string; returnUrl: string }): string {
  return layout(
    'Onboard with Stripe',
    `<div id="onboarding"></div><p id="error" role="alert"></p>
<script>
window.addEventListener('load', () => {
  const connect = window.StripeConnect.init({
    publishableKey: ${JSON.stringify(options.publishableKey)},
    fetchClientSecret: async () => {
      const response = await fetch(${JSON.stringify(options.sessionUrl)}, { method: 'POST', credentials: 'same-origin' });
      if (!response.ok) throw new Error('could not start onboarding (' + response.status + ')');
      return (await response.json()).clientSecret;
    },
  });
  const onboarding = connect.create('account-onboarding');
  onboarding.setOnExit(() => { window.location.href = ${JSON.stringify(options.returnUrl)}; });
  document.getElementById('onboarding').append(onboarding);
});
</script>`,
    { head: '<script src="https://connect-js.stripe.com/v1.0/connect.js"></script>' },
  );
}

/** Statuses the order can still leave on the payer's side: a failed payment may be retried with another card. */
const OPEN_STATUSES = new Set(['pending', 'processing', 'failed']);
/** The order page stops reloading itself once the order has not changed for this long (an abandoned checkout). */
export const REFRESH_STOP_MS = 15 * 60_000;
/** The longest pause between two reloads. */
const REFRESH_MAX_SECONDS = 30;

/**
 * Seconds until the order page reloads itself, or undefined when it should not. Right after a change (a redirect back
 * from checkout, a declined card) it reloads every second; the pause then grows with the time the order has been
 * quiet, one second per ten, up to 30 s, and stops after 15 minutes without a change or once the order is settled.
 */
export function refreshSeconds(order: OrderRecord, now: number): number | undefined {
  const quietMs = Math.max(0, now - order.updatedAt);
  if (!OPEN_STATUSES.has(order.status) || quietMs >= REFRESH_STOP_MS) return undefined;
  return Math.min(REFRESH_MAX_SECONDS, Math.max(1, Math.floor(quietMs / 10_000)));
}

/** An open order that has not changed for REFRESH_STOP_MS: most likely a checkout the payer left. */
export function looksAbandoned(order: OrderRecord, now: number): boolean {
  return OPEN_STATUSES.has(order.status) && now - order.updatedAt >= REFRESH_STOP_MS;
}

/** A cart's items: what each driver is owed, and where their transfer stands. */
function cartTable(order: OrderRecord, transfers: readonly TransferRecord[]): string {
  const rows = order.items
    .map((item) => {
      const transfer = transfers.find((t) => t.vendorId === item.vendorId);
      return `<tr data-vendor="${escapeHtml(item.vendorId)}"><td>${escapeHtml(item.description ?? item.vendorId)}</td>
<td class="num">${escapeHtml(money(item.amount, order.currency))}</td>
<td class="num">${escapeHtml(money(item.applicationFeeAmount, order.currency))}</td>
<td class="num">${escapeHtml(money(item.vendorAmount, order.currency))}</td>
<td class="transfer">${escapeHtml(transfer?.status ?? 'after payment')}</td></tr>`;
    })
    .join('\n');
  return `<table id="items"><thead><tr><th>Leg</th><th class="num">Amount</th><th class="num">Platform fee</th><th class="num">Driver receives</th><th>Transfer</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

export function orderPage(order: OrderRecord, now: number, transfers: readonly TransferRecord[] = []): string {
  const refresh = refreshSeconds(order, now);
  // Only a failed order shows why: after a declined card and then a good one, the old decline is history.
  const failure =
    order.status === 'failed' && order.lastPaymentError
      ? `<p id="payment-error">The payment was declined (${escapeHtml(order.lastPaymentError.declineCode ?? order.lastPaymentError.code ?? 'no reason given')}). You can pay again with another card.</p>`
      : '';
  const waiting =
    refresh !== undefined
      ? '<span id="refreshing">It refreshes until the payment settles.</span>'
      : looksAbandoned(order, now)
        ? `<span id="stopped">Nothing has changed for a while, so it stopped refreshing. <a href="/orders/${encodeURIComponent(order.orderId)}">Reload</a> to check again.</span>`
        : '';
  return layout(
    `Order ${order.orderId}`,
    `<div class="card">
<p>Status: <span class="status" id="order-status">${escapeHtml(order.status)}</span></p>
<p>Amount: ${escapeHtml(money(order.amount, order.currency))}</p>
${order.amountRefunded > 0 ? `<p>Refunded: ${escapeHtml(money(order.amountRefunded, order.currency))}</p>` : ''}
${order.chargeType === 'separate' ? cartTable(order, transfers) : ''}
${failure}
<p class="muted">This page shows what the platform learned from Stripe's webhook, not what the browser redirect suggested.
${waiting}</p>
</div>`,
    refresh !== undefined ? { refreshSeconds: refresh } : {},
  );
}

export function platformPage(orders: OrderRecord[], now: number): string {
  const rows = orders
    .map(
      (o) => `<tr data-order="${escapeHtml(o.orderId)}">
<td><a href="/orders/${encodeURIComponent(o.orderId)}">${escapeHtml(o.orderId)}</a></td>
<td>${escapeHtml(o.chargeType === 'separate' ? o.items.map((i) => i.vendorId).join(' + ') : o.vendorId)}</td>
<td class="num">${escapeHtml(money(o.amount, o.currency))}</td>
<td class="num fee">${escapeHtml(money(o.applicationFeeAmount, o.currency))}</td>
<td class="num">${escapeHtml(money(o.vendorAmount, o.currency))}</td>
<td class="status">${escapeHtml(o.status)}${looksAbandoned(o, now) ? ' <span class="muted abandoned">(abandoned?)</span>' : ''}</td>
</tr>`,
    )
    .join('\n');
  return layout(
    'Platform',
    `<table id="orders"><thead><tr><th>Order</th><th>Driver</th><th class="num">Amount</th><th class="num">Platform fee</th><th class="num">Driver receives</th><th>Status</th></tr></thead>
<tbody>${rows || '<tr><td colspan="6">No orders yet.</td></tr>'}</tbody></table>`,
  );
}

const ERROR_TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  502: 'Stripe is not answering',
};

/** A page for a 4xx or 5xx answer: the status's own title and a message written for the visitor. */
export function errorPage(status: number, message: string): string {
  const title = ERROR_TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'Request refused');
  return layout(title, `<p id="error-message">${escapeHtml(message)}</p>\n<p><a href="/">Back to the start</a></p>`);
}
