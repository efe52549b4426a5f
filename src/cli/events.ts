import { percentage } from '../core/money/commission.js';
import { Marketplace } from '../marketplace.js';
import type { InboxProgress, InboxSummary } from '../webhooks/inbox.js';
import { type Io, parse, parseDuration, parseInteger, parseSince, UsageError, untilSignal } from './args.js';
import { DATABASE_HELP, DATABASE_OPTIONS, openDatabase, openStripe, STRIPE_HELP } from './connect.js';

const NOTE = `Only the library's built-in projections run here; handlers you register with market.on() do not.
If you register handlers, call market.events.* from your own code instead.`;

export const EVENTS_HELP = `Usage: stripe-marketplace events <replay|backfill|work|prune> --database-url <url> [options]

The webhook inbox operations on a PostgreSQL database:
  replay     Process every failed event again (market.events.replayFailed())
  backfill   List events from Stripe since a time and process what was missed (market.events.backfill())
  work       Drain the inbox until SIGINT/SIGTERM, or until it is empty with --until-idle (market.events.work())
  prune      Remove processed events and expired single-use records older than a duration (market.events.prune())

Run stripe-marketplace events <operation> --help for its options. Exit codes: 0 done, 1 some events failed,
2 bad usage.

${NOTE}`;

const STRIPE_OPTIONS = { 'api-key': { type: 'string' }, 'api-base': { type: 'string' } } as const;

const REPLAY_HELP = `Usage: stripe-marketplace events replay --database-url <url> [options]

Runs every failed inbox event through the pipeline again, oldest first. Projections re-read objects from
Stripe, so a secret key is needed.

Options:
${DATABASE_HELP}
${STRIPE_HELP}
  --limit <n>            Replay at most n events
  -h, --help             Show this help

${NOTE}`;

const BACKFILL_HELP = `Usage: stripe-marketplace events backfill --database-url <url> --since <when> [options]

Lists events from Stripe (events.list, for the platform and each connected account) created since <when>
and processes each; events processed already count as duplicates. Stripe keeps events for 30 days.

Options:
${DATABASE_HELP}
${STRIPE_HELP}
  --since <when>         An ISO date (2026-11-01, 2026-11-01T12:00:00Z) or a duration ago (3d, 12h, 30m)
  --account <acct_...>   A connected account whose events to list (repeatable; default: every stored vendor)
  --platform-only        List the platform's events only, no connected account's
  --type <event.type>    Only this event type (repeatable, at most 20)
  -h, --help             Show this help

${NOTE}`;

const WORK_HELP = `Usage: stripe-marketplace events work --database-url <url> [options]

Claims due inbox events (FOR UPDATE SKIP LOCKED: run as many workers as you like) and processes them,
retrying failures with a backoff. Stops on SIGINT or SIGTERM after finishing the events it holds.
Webhook secrets are not needed; a Stripe key is, as projections re-read objects from Stripe.

Options:
${DATABASE_HELP}
${STRIPE_HELP}
  --concurrency <n>      Events processed at once (default 4, at most 100)
  --until-idle           Stop as soon as no event is due (for a cron job)
  -h, --help             Show this help

${NOTE}`;

const PRUNE_HELP = `Usage: stripe-marketplace events prune --database-url <url> [--older-than <duration>]

Removes processed inbox events older than the duration, and expired single-use records (OAuth states).
Failed and pending events are kept. No Stripe key is needed.

Options:
${DATABASE_HELP}
  --older-than <d>       A duration such as 30d, 12h (default 30d)
  -h, --help             Show this help`;

/**
 * Reports progress: on a TTY one line rewritten in place; otherwise a line every 100 events, so that a log
 * file shows a long run moving without one line per event.
 */
export function progressReporter(stream: Io['err'], label: string): { onProgress: InboxProgress; end: () => void } {
  const tty = stream.isTTY === true;
  let events = 0;
  let drawn = false;
  const line = (s: Readonly<InboxSummary>) =>
    `${label}: ${events} events (processed ${s.processed}, duplicates ${s.duplicates}, failed ${s.failed}, skipped ${s.skipped})`;
  return {
    onProgress(summary, event) {
      events++;
      if (tty) {
        stream.write(`\r\x1b[2K${line(summary)} ${event.type} [${event.id}]`);
        drawn = true;
      } else if (events % 100 === 0) {
        stream.write(`${line(summary)}\n`);
      }
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

function writeSummary(io: Io, label: string, summary: InboxSummary): number {
  io.out.write(
    `${label}: processed ${summary.processed}, duplicates ${summary.duplicates}, failed ${summary.failed}, skipped ${summary.skipped}\n`,
  );
  return summary.failed > 0 ? 1 : 0;
}

const OPERATIONS = {
  replay: {
    help: REPLAY_HELP,
    options: { ...DATABASE_OPTIONS, ...STRIPE_OPTIONS, limit: { type: 'string' } },
  },
  backfill: {
    help: BACKFILL_HELP,
    options: {
      ...DATABASE_OPTIONS,
      ...STRIPE_OPTIONS,
      since: { type: 'string' },
      account: { type: 'string', multiple: true },
      'platform-only': { type: 'boolean' },
      type: { type: 'string', multiple: true },
    },
  },
  work: {
    help: WORK_HELP,
    options: { ...DATABASE_OPTIONS, ...STRIPE_OPTIONS, concurrency: { type: 'string' }, 'until-idle': { type: 'boolean' } },
  },
  prune: { help: PRUNE_HELP, options: { ...DATABASE_OPTIONS, 'older-than': { type: 'string' } } },
} as const;

type Operation = keyof typeof OPERATIONS;

export async function eventsCommand(args: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    if (name === undefined) throw new UsageError('events: name an operation (replay, backfill, work or prune)', EVENTS_HELP);
    io.out.write(`${EVENTS_HELP}\n`);
    return 0;
  }
  if (!Object.hasOwn(OPERATIONS, name)) throw new UsageError(`events: unknown operation "${name}"`, EVENTS_HELP);
  const operation = name as Operation;
  const { help, options } = OPERATIONS[operation];
  const { values: parsed } = parse(rest, options, help);
  if (parsed.help) {
    io.out.write(`${help}\n`);
    return 0;
  }
  const values = parsed as Record<string, string | boolean | string[] | undefined>;
  const str = (key: string) => values[key] as string | undefined;

  // Every flag is checked before the database or Stripe is touched.
  if (!str('database-url')) throw new UsageError('--database-url is required', help);
  const now = Date.now();
  let since: Date | undefined;
  let olderThan: number | undefined;
  if (operation === 'backfill') {
    const text = str('since');
    if (!text) throw new UsageError('--since is required (an ISO date, or a duration such as 3d)', help);
    since = parseSince(text, now, help);
    if (values['platform-only'] && values.account) throw new UsageError('--platform-only and --account exclude each other', help);
  }
  if (operation === 'prune') {
    const text = str('older-than') ?? '30d';
    const parsedDuration = parseDuration(text);
    if (parsedDuration === null)
      throw new UsageError(`--older-than: expected a duration such as 30d or 12h, got "${text}"`, help);
    olderThan = parsedDuration;
  }
  const limit = str('limit') === undefined ? undefined : parseInteger(str('limit') as string, '--limit', 1, 1_000_000_000, help);
  const concurrency =
    str('concurrency') === undefined ? 4 : parseInteger(str('concurrency') as string, '--concurrency', 1, 100, help);
  const { stripe, livemode } = await openStripe(
    { 'api-key': str('api-key'), 'api-base': str('api-base') },
    io,
    help,
    operation !== 'prune',
  );

  const db = await openDatabase({ 'database-url': str('database-url'), 'table-prefix': str('table-prefix') }, help);
  try {
    const market = new Marketplace({
      stripe,
      storage: db.storage,
      // No checkout runs here; the commission policy is never called.
      commission: percentage(0),
      ...(livemode === undefined ? {} : { livemode }),
    });
    if (operation === 'prune') {
      const removed = await market.events.prune({ olderThan });
      io.out.write(`prune: removed ${removed.events} processed events and ${removed.records} expired records\n`);
      return 0;
    }
    const progress = progressReporter(io.err, operation);
    let summary: InboxSummary;
    try {
      if (operation === 'replay') {
        summary = await market.events.replayFailed({
          ...(limit === undefined ? {} : { limit }),
          onProgress: progress.onProgress,
        });
      } else if (operation === 'backfill') {
        const accounts = values['platform-only'] ? [] : ((values.account as string[] | undefined) ?? 'vendors');
        const types = values.type as string[] | undefined;
        summary = await market.events.backfill({
          since: since as Date,
          accounts,
          ...(types ? { types } : {}),
          onProgress: progress.onProgress,
        });
      } else {
        const controller = new AbortController();
        const stop = untilSignal();
        void stop.signal.then((signal) => {
          io.err.write(`\n${signal}: finishing the events in hand, then stopping\n`);
          controller.abort();
        });
        try {
          summary = await market.events.work({
            concurrency,
            signal: controller.signal,
            stopWhenIdle: values['until-idle'] === true,
            onProgress: progress.onProgress,
          });
        } finally {
          stop.dispose();
        }
      }
    } finally {
      progress.end();
    }
    return writeSummary(io, operation, summary);
  } finally {
    await db.close();
  }
}
