/**
 * Billing's clock: what Stripe does on its own as time passes. `advanceTime` runs it, in time order: a period that
 * ends renews the subscription with a draft invoice (`invoice.created`), the draft finalizes an hour later and is
 * charged (https://docs.stripe.com/billing/subscriptions/webhooks), a subscription set to cancel at period end ends,
 * a paused one resumes at `resumes_at`, and an unpaid first invoice expires its subscription after 23 hours.
 */
import type Stripe from 'stripe';
import type { SandboxCore } from './core/core.js';
import type { Stored } from './core/store.js';
import { attemptPayment, closeInvoice, finalizeInvoice, INVOICES } from './resources/invoices.js';
import {
  announceUpdate,
  cancelNow,
  INCOMPLETE_SECONDS,
  openPeriod,
  paymentMethodOf,
  SUBSCRIPTIONS,
  subscriptionOf,
} from './resources/subscriptions.js';

interface Due {
  at: number;
  run: () => void;
}

function renew(core: SandboxCore, stored: Stored<Stripe.Subscription>, at: number): void {
  const sub = stored.obj;
  if (sub.cancel_at_period_end) {
    cancelNow(core, stored, 'cancellation_requested');
    return;
  }
  const previous: Record<string, unknown> = {
    items: {
      data: sub.items.data.map((i) => ({
        current_period_end: i.current_period_end,
        current_period_start: i.current_period_start,
      })),
    },
  };
  if (sub.status === 'trialing') {
    previous.status = sub.status;
    sub.status = 'active';
  }
  const invoice = openPeriod(core, stored, at, 'subscription_cycle');
  previous.latest_invoice = invoice.obj.id;
  const behavior = sub.pause_collection?.behavior;
  if (behavior === 'keep_as_draft') invoice.obj.auto_advance = false;
  else if (behavior === 'void') closeInvoice(core, invoice, 'void');
  else if (behavior === 'mark_uncollectible') closeInvoice(core, invoice, 'uncollectible');
  announceUpdate(core, stored, previous);
}

/** Everything that falls due by now, earliest first. */
function nextDue(core: SandboxCore, now: number): Due | undefined {
  const due: Due[] = [];
  for (const stored of core.state(SUBSCRIPTIONS).values()) {
    const sub = stored.obj;
    const end = sub.items.data[0]?.current_period_end ?? 0;
    if (['active', 'trialing', 'past_due'].includes(sub.status)) due.push({ at: end, run: () => renew(core, stored, end) });
    const resumesAt = sub.pause_collection?.resumes_at;
    if (resumesAt != null) {
      due.push({
        at: resumesAt,
        run: () => {
          const previous = { pause_collection: sub.pause_collection };
          sub.pause_collection = null;
          announceUpdate(core, stored, previous);
        },
      });
    }
    if (sub.status === 'incomplete') {
      due.push({
        at: sub.created + INCOMPLETE_SECONDS,
        run: () => {
          sub.status = 'incomplete_expired';
          sub.ended_at = sub.created + INCOMPLETE_SECONDS;
          const invoice = core.state(INVOICES).get(sub.latest_invoice as string);
          if (invoice?.obj.status === 'open') closeInvoice(core, invoice, 'void');
          announceUpdate(core, stored, { status: 'incomplete' });
        },
      });
    }
  }
  for (const stored of core.state(INVOICES).values()) {
    const invoice = stored.obj;
    if (invoice.status !== 'draft' || !invoice.auto_advance || invoice.automatically_finalizes_at === null) continue;
    due.push({
      at: invoice.automatically_finalizes_at,
      run: () => {
        finalizeInvoice(core, stored);
        const subscription = invoice.parent?.subscription_details?.subscription as string;
        attemptPayment(core, stored, paymentMethodOf(core, subscriptionOf(core, subscription)), false);
      },
    });
  }
  return due.filter((d) => d.at <= now).sort((a, b) => a.at - b.at)[0];
}

/** Runs every billing step that fell due by the sandbox's clock. */
export function advanceBilling(core: SandboxCore): void {
  const now = core.nowSeconds();
  for (let step = 0; step < 100_000; step += 1) {
    const due = nextDue(core, now);
    if (!due) return;
    due.run();
  }
  throw new Error('sandbox: billing did not settle (more than 100,000 steps)');
}
