/**
 * The read-only dashboard the sandbox serves at its root (`GET /`): accounts, payments, every resource's objects,
 * balances per account, and every event with its webhook delivery attempts. Plain server-rendered HTML, escaped, with
 * no script and no external asset. The sections come from the registered resource modules' stores, so a new module's
 * objects show up without a change here; the columns below are for the resources whose fields are known.
 */
import type Stripe from 'stripe';
import type { SandboxCore } from './core/core.js';
import { BALANCE_TRANSACTIONS } from './core/ledger.js';
import type { RouteTable } from './core/routes.js';
import type { Stored } from './core/store.js';
import type { DeliveryAttempt } from './webhooks.js';

type Row = Stored<Record<string, unknown>>;
type Column = [header: string, cell: (row: Row, core: SandboxCore) => string];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const field = (row: Row, name: string): unknown => row.obj[name];
const text = (value: unknown): string => (value === null || value === undefined || value === '' ? '—' : String(value));
/** Amounts stay in minor units, as the API has them, with the currency. */
const money = (amount: unknown, currency: unknown): string =>
  typeof amount === 'number' ? `${amount} ${String(currency ?? '').toUpperCase()}` : '—';
const time = (seconds: unknown): string =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) : '—';
const ownerName = (owner: string, core: SandboxCore): string => (owner === core.platformId ? 'platform' : owner);
/** A field by name; nested objects show their id. */
const plain = (name: string): Column => [
  name,
  (row) => {
    const value = field(row, name);
    if (value && typeof value === 'object') return text((value as { id?: unknown }).id ?? JSON.stringify(value));
    return text(value);
  },
];
const amountOf = (name: string): Column => [name, (row) => money(field(row, name), field(row, 'currency'))];
const OWNER: Column = ['account', (row, core) => ownerName(row.owner, core)];
const CREATED: Column = ['created', (row) => time(field(row, 'created'))];

/** The vendor's share of a payment: what the destination (or the connected account of a direct charge) keeps. */
function vendorShare(row: Row, core: SandboxCore): string {
  const intent = row.obj as unknown as Stripe.PaymentIntent;
  const fee = intent.application_fee_amount ?? 0;
  if (intent.transfer_data?.destination) {
    const destination = intent.transfer_data.destination;
    const share = intent.transfer_data.amount ?? intent.amount - fee;
    return `${money(share, intent.currency)} → ${typeof destination === 'string' ? destination : destination.id}`;
  }
  if (row.owner !== core.platformId) return `${money(intent.amount - fee, intent.currency)} → ${row.owner}`;
  return '—';
}

/** Columns of the stores whose objects are known; any other store gets `GENERIC_FIELDS` that its objects have. */
const COLUMNS: Record<string, Column[]> = {
  payment_intents: [
    plain('id'),
    OWNER,
    plain('status'),
    amountOf('amount'),
    ['application fee', (row) => money(field(row, 'application_fee_amount'), field(row, 'currency'))],
    ['vendor share', vendorShare],
    plain('latest_charge'),
    CREATED,
  ],
  charges: [
    plain('id'),
    OWNER,
    plain('status'),
    amountOf('amount'),
    amountOf('amount_refunded'),
    plain('payment_intent'),
    CREATED,
  ],
  refunds: [plain('id'), OWNER, plain('status'), amountOf('amount'), plain('charge'), plain('reason'), CREATED],
  transfers: [
    plain('id'),
    amountOf('amount'),
    amountOf('amount_reversed'),
    plain('destination'),
    plain('source_transaction'),
    CREATED,
  ],
  transfer_reversals: [plain('id'), plain('transfer'), amountOf('amount'), plain('destination_payment_refund'), CREATED],
  application_fees: [plain('id'), amountOf('amount'), amountOf('amount_refunded'), plain('account'), plain('charge'), CREATED],
  disputes: [plain('id'), OWNER, plain('status'), amountOf('amount'), plain('reason'), plain('charge'), CREATED],
  payouts: [
    plain('id'),
    OWNER,
    plain('status'),
    amountOf('amount'),
    ['arrival', (row) => time(field(row, 'arrival_date'))],
    plain('failure_code'),
    CREATED,
  ],
  checkout_sessions: [
    plain('id'),
    OWNER,
    plain('status'),
    plain('payment_status'),
    amountOf('amount_total'),
    plain('payment_intent'),
    CREATED,
  ],
  balance_transactions: [
    plain('id'),
    OWNER,
    plain('type'),
    amountOf('amount'),
    amountOf('fee'),
    amountOf('net'),
    plain('status'),
    plain('source'),
    CREATED,
  ],
};
const GENERIC_FIELDS = ['status', 'amount', 'customer', 'charge', 'payment_intent', 'subscription', 'domain_name', 'type'];
/** Stores shown in their own sections (accounts, balances) rather than as a generic table. */
const OWN_SECTIONS = new Set(['accounts']);

function table(headers: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const title = (name: string): string => {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function storeSection(core: SandboxCore, name: string, rows: Row[]): string {
  const columns =
    COLUMNS[name] ??
    ([
      plain('id'),
      OWNER,
      ...GENERIC_FIELDS.filter((f) => rows.some((r) => f in r.obj)).map((f) => plain(f)),
      CREATED,
    ] as Column[]);
  const cells = rows.map((row) => columns.map(([, cell]) => cell(row, core)));
  return `<section id="${escapeHtml(name)}"><h2>${escapeHtml(title(name))} <small>${rows.length}</small></h2>${table(
    columns.map(([h]) => h),
    cells,
    `No ${name.replace(/_/g, ' ')} yet.`,
  )}</section>`;
}

function accountsSection(core: SandboxCore): string {
  const rows = [...core.accounts.values()].map(({ obj: a }) => {
    const capabilities = Object.entries((a.capabilities ?? {}) as Record<string, string>)
      .map(([name, status]) => `${name}: ${status}`)
      .join(', ');
    const req = a.requirements;
    const due = [...(req?.past_due ?? []).map((r) => `${r} (past due)`), ...(req?.currently_due ?? [])];
    return [
      a.id,
      text(a.type ?? a.controller?.type),
      text(a.email),
      a.charges_enabled ? 'yes' : 'no',
      a.payouts_enabled ? 'yes' : 'no',
      a.details_submitted ? 'yes' : 'no',
      text(capabilities),
      due.length > 0 ? due.join(', ') : 'none',
      text(req?.disabled_reason),
    ];
  });
  return `<section id="accounts"><h2>Connected accounts <small>${rows.length}</small></h2>${table(
    ['id', 'type', 'email', 'charges', 'payouts', 'details submitted', 'capabilities', 'requirements due', 'disabled reason'],
    rows,
    'No connected accounts yet.',
  )}</section>`;
}

/** Available and pending funds per account and currency: the sums of the ledger's balance transactions. */
function balancesSection(core: SandboxCore): string {
  const totals = new Map<string, { account: string; currency: string; available: number; pending: number }>();
  for (const { owner, obj } of core.state(BALANCE_TRANSACTIONS).values()) {
    const key = `${owner} ${obj.currency}`;
    const row = totals.get(key) ?? { account: owner, currency: obj.currency, available: 0, pending: 0 };
    if (obj.status === 'pending') row.pending += obj.net;
    else row.available += obj.net;
    totals.set(key, row);
  }
  const rows = [...totals.values()]
    .sort((a, b) => Number(b.account === core.platformId) - Number(a.account === core.platformId))
    .map((r) => [ownerName(r.account, core), r.currency.toUpperCase(), String(r.available), String(r.pending)]);
  return `<section id="balances"><h2>Balances <small>minor units</small></h2>${table(
    ['account', 'currency', 'available', 'pending'],
    rows,
    'No money has moved yet.',
  )}</section>`;
}

/** Every event, newest first, each with its delivery attempts as `stripe listen` shows them. */
function eventsSection(core: SandboxCore): string {
  const endpoints = new Map(core.webhooks.endpointList().map((e) => [e.id, e]));
  const byEvent = new Map<string, DeliveryAttempt[]>();
  for (const a of core.webhooks.attempts()) byEvent.set(a.eventId, [...(byEvent.get(a.eventId) ?? []), a]);
  const items = [...core.events.list].reverse().map((event) => {
    const attempts = (byEvent.get(event.id) ?? []).map((a) => {
      const endpoint = endpoints.get(a.endpointId);
      const target = endpoint?.url ? `POST ${endpoint.url}` : `handler ${a.endpointId}`;
      const outcome = a.status >= 200 && a.status < 300 ? 'ok' : 'failed';
      const detail = [a.attempt > 1 ? `attempt ${a.attempt}` : '', a.duplicate ? 'duplicate' : '', a.error ?? '']
        .filter(Boolean)
        .join(', ');
      return `<li class="${outcome}">${escapeHtml(time(Math.floor(a.at / 1000)))} &lt;-- [${escapeHtml(a.status)}] ${escapeHtml(target)} [${escapeHtml(event.id)}]${detail ? ` <small>${escapeHtml(detail)}</small>` : ''}</li>`;
    });
    const waiting = event.pending_webhooks > 0 && attempts.length === 0 ? '<li class="pending">not delivered yet</li>' : '';
    const none = event.pending_webhooks === 0 && attempts.length === 0 ? '<li class="none">no endpoint listens to it</li>' : '';
    const object = event.data.object as { id?: string };
    return `<li><span class="when">${escapeHtml(time(event.created))}</span> --&gt; <b>${escapeHtml(event.type)}</b> [${escapeHtml(event.id)}] <small>${escapeHtml(object.id ?? '')}${event.account ? ` · Connect ${escapeHtml(event.account)}` : ''}</small><ul>${attempts.join('')}${waiting}${none}</ul></li>`;
  });
  const list =
    items.length === 0 ? '<p class="empty">No events yet.</p>' : `<ol class="events" reversed>${items.join('\n')}</ol>`;
  return `<section id="events"><h2>Events and webhook deliveries <small>${items.length}</small></h2>${list}</section>`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 48px;color:#1a1f36;background:#f6f8fa}
header{padding:16px 0;border-bottom:1px solid #d8dee4;margin-bottom:8px}h1{font-size:20px;margin:0}
h2{font-size:16px;margin:24px 0 8px}h2 small{color:#687385;font-weight:normal;margin-left:6px}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}th,td{border:1px solid #e3e8ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f7}td{font-variant-numeric:tabular-nums;word-break:break-all}.empty{color:#687385}
ol.events{background:#fff;border:1px solid #e3e8ee;padding:8px 8px 8px 32px;font-family:ui-monospace,monospace;font-size:12px}
ol.events ul{list-style:none;padding-left:16px;margin:2px 0 6px}.ok{color:#0a7d38}.failed{color:#c0123c}.pending,.none{color:#687385}
nav a{margin-right:12px}`;

/** The dashboard page. */
export function dashboardHtml(core: SandboxCore, routes: RouteTable): string {
  const sections: string[] = [accountsSection(core), balancesSection(core)];
  const seen = new Set<string>();
  for (const module of routes.modules) {
    for (const key of module.objects ?? []) {
      if (seen.has(key.name) || OWN_SECTIONS.has(key.name)) continue;
      seen.add(key.name);
      const rows = [...core.state(key).values()] as Row[];
      sections.push(storeSection(core, key.name, rows));
    }
  }
  sections.push(eventsSection(core));
  const nav = ['accounts', 'balances', ...seen, 'events'].map((n) => `<a href="#${escapeHtml(n)}">${escapeHtml(title(n))}</a>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stripe sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><header><h1>Stripe sandbox</h1><div>Platform ${escapeHtml(core.platformId)} · clock ${escapeHtml(
    time(core.nowSeconds()),
  )} UTC · read-only, reload to refresh</div><nav>${nav.join('')}</nav></header>
${sections.join('\n')}
</body></html>`;
}

/** `GET /` on the sandbox's server. */
export function dashboardResponse(core: SandboxCore, routes: RouteTable): Response {
  return new Response(dashboardHtml(core, routes), {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}
