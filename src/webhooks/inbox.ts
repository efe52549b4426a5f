import type Stripe from 'stripe';
import { callStripe } from '../context.js';
import { VENDOR, type VendorRecord } from '../core/records.js';
import { MarketplaceError } from '../errors.js';
import { callStorage } from '../services/records.js';
import type { InboxEvent } from '../storage/types.js';
import { type Pipeline, type ReceiveOutcome, receiveEvent, safeLog } from './receive.js';

/** What an inbox operation did, event by event. */
export interface InboxSummary {
  /** Events projected and handled now. */
  processed: number;
  /** Events found processed already (or held by another worker). */
  duplicates: number;
  /** Events that failed again; they stay in the inbox with their error. */
  failed: number;
  /** Events of the other mode, or without a stored payload (kept from schema 1). */
  skipped: number;
}

export type InboxProgress = (summary: Readonly<InboxSummary>, event: { id: string; type: string }) => void;

const emptySummary = (): InboxSummary => ({ processed: 0, duplicates: 0, failed: 0, skipped: 0 });

function count(summary: InboxSummary, outcome: ReceiveOutcome): void {
  if (outcome.outcome === 'processed') summary.processed++;
  else if (outcome.outcome === 'failed') summary.failed++;
  else if (outcome.outcome === 'ignored' || outcome.outcome === 'queued') summary.skipped++;
  else summary.duplicates++;
}

function parsePayload(event: InboxEvent): Stripe.Event | null {
  if (event.payload === null) return null;
  try {
    return JSON.parse(event.payload) as Stripe.Event;
  } catch {
    return null;
  }
}

/**
 * Runs every `failed` event through `receiveEvent` again (source `replay`), oldest first. Exactly once
 * together with live deliveries: an event a delivery processed meanwhile answers `duplicate`.
 */
export async function replayFailed(
  pipeline: Pipeline,
  options: { limit?: number; onProgress?: InboxProgress } = {},
): Promise<InboxSummary> {
  const summary = emptySummary();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  let after: { receivedAt: number; id: string } | undefined;
  while (seen.size < limit) {
    const page = await callStorage('list failed events', () =>
      pipeline.ctx.storage.listEvents({ statuses: ['failed'], limit: Math.min(100, limit - seen.size), after }),
    );
    if (page.length === 0) break;
    for (const stored of page) {
      after = { receivedAt: stored.receivedAt, id: stored.id };
      if (seen.has(stored.id)) continue;
      seen.add(stored.id);
      const event = parsePayload(stored);
      if (!event) {
        summary.skipped++;
        safeLog(pipeline.ctx, 'warn', 'a failed event has no stored payload and cannot be replayed; backfill it from Stripe', {
          eventId: stored.id,
        });
      } else {
        count(summary, await receiveEvent(pipeline, event, { source: 'replay' }));
      }
      options.onProgress?.(summary, { id: stored.id, type: stored.type });
    }
  }
  return summary;
}

export interface BackfillOptions {
  /** Events created at or after this time (a Date, or Unix seconds). Stripe keeps events for 30 days. */
  since: Date | number;
  /**
   * The connected accounts whose events to list as well (`stripeAccount`): account ids, or `'vendors'`
   * (the default) for every stored vendor's account, or `[]` for the platform's events only.
   */
  accounts?: readonly string[] | 'vendors';
  /** Only these event types (`events.list`'s `types`, at most 20). */
  types?: readonly string[];
  onProgress?: InboxProgress;
}

async function vendorAccounts(pipeline: Pipeline): Promise<string[]> {
  const accounts = new Set<string>();
  let createdBefore: number | undefined;
  for (;;) {
    const page = await callStorage('list vendors', () =>
      pipeline.ctx.storage.list<VendorRecord>(VENDOR.kind, { limit: 1000, createdBefore }),
    );
    for (const record of page) accounts.add(record.data.accountId);
    if (page.length < 1000) break;
    createdBefore = page[page.length - 1]?.createdAt;
  }
  return [...accounts];
}

/**
 * Lists events from Stripe (`events.list`, for the platform and for each connected account with its
 * `stripeAccount`) and runs each through `receiveEvent` (source `backfill`): what a missed or disabled
 * endpoint never delivered is processed, and what was delivered answers `duplicate`.
 */
export async function backfill(pipeline: Pipeline, options: BackfillOptions): Promise<InboxSummary> {
  const since = options.since instanceof Date ? Math.floor(options.since.getTime() / 1000) : options.since;
  if (!Number.isSafeInteger(since) || since < 0) {
    throw new MarketplaceError('INVALID_INPUT', 'events.backfill: since must be a Date or Unix seconds', {
      details: { param: 'since' },
    });
  }
  if (options.types && (options.types.length === 0 || options.types.length > 20)) {
    throw new MarketplaceError('INVALID_INPUT', 'events.backfill: types must list 1 to 20 event types', {
      details: { param: 'types' },
    });
  }
  const accounts =
    options.accounts === undefined || options.accounts === 'vendors' ? await vendorAccounts(pipeline) : [...options.accounts];
  const summary = emptySummary();
  const { stripe } = pipeline.ctx;
  for (const account of [undefined, ...accounts]) {
    const params: Stripe.EventListParams = { created: { gte: since }, limit: 100 };
    if (options.types) params.types = [...options.types];
    const list = stripe.events.list(params, account ? { stripeAccount: account } : undefined);
    await callStripe('events.list', async () => {
      for await (const listed of list) {
        // Events listed with `stripeAccount` are that account's, as a Connect delivery would say.
        const event = account && !listed.account ? ({ ...listed, account } as Stripe.Event) : listed;
        count(summary, await receiveEvent(pipeline, event, { source: 'backfill' }));
        options.onProgress?.(summary, { id: event.id, type: event.type });
      }
    });
  }
  return summary;
}

export interface WorkOptions {
  /** How many events are processed at once. Default 4. */
  concurrency?: number;
  /** Stops the worker: it finishes the events it holds and resolves. */
  signal?: AbortSignal;
  /** How long to wait when nothing is due before looking again. Default 1000 ms. */
  pollMs?: number;
  /** Resolve as soon as nothing is due (for a cron job or a test) instead of waiting for more. */
  stopWhenIdle?: boolean;
  onProgress?: InboxProgress;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Drains the inbox: claims due events (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so any number of
 * workers in any number of processes share it), runs each through `receiveEvent`, and retries failures
 * with a backoff until the attempts run out, when the event is marked `failed`.
 */
export async function work(pipeline: Pipeline, options: WorkOptions = {}): Promise<InboxSummary> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 100) {
    throw new MarketplaceError('INVALID_INPUT', 'events.work: concurrency must be an integer from 1 to 100', {
      details: { param: 'concurrency' },
    });
  }
  const summary = emptySummary();
  const { ctx, settings } = pipeline;
  while (!options.signal?.aborted) {
    let claimed: Awaited<ReturnType<typeof ctx.storage.claimNextEvents>>;
    try {
      claimed = await ctx.storage.claimNextEvents({ limit: concurrency, leaseMs: settings.eventLeaseMs });
    } catch (error) {
      safeLog(ctx, 'error', 'the inbox worker could not claim events', {
        error: error instanceof Error ? error.message : String(error),
      });
      if (options.stopWhenIdle) throw error;
      await sleep(options.pollMs ?? 1000, options.signal);
      continue;
    }
    if (claimed.length === 0) {
      if (options.stopWhenIdle) break;
      await sleep(options.pollMs ?? 1000, options.signal);
      continue;
    }
    await Promise.all(
      claimed.map(async ({ event: stored, token }) => {
        const event = parsePayload(stored);
        if (!event) {
          summary.skipped++;
          await ctx.storage
            .settleEvent(stored.id, token, {
              status: 'failed',
              error: 'no payload is stored for this event; backfill it from Stripe',
            })
            .catch(() => false);
        } else {
          const claimedAt = (stored.leaseExpiresAt ?? settings.eventLeaseMs) - settings.eventLeaseMs;
          count(summary, await receiveEvent(pipeline, event, { claimed: { token, attempts: stored.attempts, claimedAt } }));
        }
        options.onProgress?.(summary, { id: stored.id, type: stored.type });
      }),
    );
  }
  return summary;
}
