/** The sandbox's hosted pages: plain HTML forms, no scripts. */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1rem;margin:.25rem 0}
.note{color:#555;font-size:.9rem}.error{color:#b00020}</style></head>
<body><p class="note">Stripe sandbox (stripe-marketplace/testing): no real money moves.</p>${body}</body></html>`;
}

export function onboardingPage(accountId: string, action: string): string {
  return page(
    'Onboarding',
    `<h1>Set up payouts</h1><p>Connected account <code>${escapeHtml(accountId)}</code>.</p>
<form method="post" action="${escapeHtml(action)}">
<button name="action" value="complete" type="submit">Complete onboarding</button>
<button name="action" value="leave" type="submit">Leave without finishing</button>
</form>`,
  );
}

export function checkoutPage(fields: {
  sessionId: string;
  amount: string;
  items: { name: string; quantity: number; amount: string }[];
  action: string;
  cancelUrl: string | null;
  error?: string;
}): string {
  const items = fields.items.map((i) => `<li>${escapeHtml(i.name)} × ${i.quantity}: ${escapeHtml(i.amount)}</li>`).join('');
  return page(
    'Checkout',
    `<h1>Pay ${escapeHtml(fields.amount)}</h1><ul>${items}</ul>
${fields.error ? `<p class="error" role="alert">${escapeHtml(fields.error)}</p>` : ''}
<form method="post" action="${escapeHtml(fields.action)}">
<label>Card number <input name="card_number" value="4242 4242 4242 4242" autocomplete="off"></label>
<p class="note">4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0000 0000 9995 has insufficient funds.</p>
<button type="submit">Pay</button>
</form>
${fields.cancelUrl ? `<p><a href="${escapeHtml(fields.cancelUrl)}">Cancel and go back</a></p>` : ''}`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}

export function portalPage(fields: {
  customer: string;
  subscriptions: { id: string; description: string; status: string; cancelable: boolean }[];
  action: string;
  returnUrl: string | null;
}): string {
  const rows = fields.subscriptions
    .map(
      (s) =>
        `<li><code>${escapeHtml(s.id)}</code> ${escapeHtml(s.description)}: ${escapeHtml(s.status)}${
          s.cancelable
            ? ` <form method="post" action="${escapeHtml(fields.action)}"><input type="hidden" name="subscription" value="${escapeHtml(s.id)}"><button name="action" value="cancel" type="submit">Cancel at period end</button></form>`
            : ''
        }</li>`,
    )
    .join('');
  return page(
    'Billing',
    `<h1>Your subscriptions</h1><p>Customer <code>${escapeHtml(fields.customer)}</code>.</p><ul>${rows || '<li>No subscriptions.</li>'}</ul>
${fields.returnUrl ? `<p><a href="${escapeHtml(fields.returnUrl)}">Return</a></p>` : ''}`,
  );
}
