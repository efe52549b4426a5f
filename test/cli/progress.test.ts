import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/events.js';
import type { InboxSummary } from '../../src/index.js';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WritableStream & {
    isTTY: boolean;
    writes: string[];
  };
}

function feed(onProgress: ReturnType<typeof progressReporter>['onProgress'], n: number) {
  const summary: InboxSummary = { processed: 0, duplicates: 0, failed: 0, skipped: 0 };
  for (let i = 1; i <= n; i++) {
    if (i % 10 === 0) summary.failed++;
    else summary.processed++;
    onProgress(summary, { id: `evt_${i}`, type: 'account.updated' });
  }
}

describe('events progress', () => {
  it('without a TTY (a log file), one line per 100 events with the counts so far', () => {
    const out = stream(false);
    const progress = progressReporter(out, 'backfill');
    feed(progress.onProgress, 250);
    progress.end();
    expect(out.writes).toEqual([
      'backfill: 100 events (processed 90, duplicates 0, failed 10, skipped 0)\n',
      'backfill: 200 events (processed 180, duplicates 0, failed 20, skipped 0)\n',
    ]);
  });

  it('on a TTY, one line rewritten in place for every event, cleared at the end', () => {
    const out = stream(true);
    const progress = progressReporter(out, 'work');
    feed(progress.onProgress, 3);
    progress.end();
    expect(out.writes).toEqual([
      '\r\x1b[2Kwork: 1 events (processed 1, duplicates 0, failed 0, skipped 0) account.updated [evt_1]',
      '\r\x1b[2Kwork: 2 events (processed 2, duplicates 0, failed 0, skipped 0) account.updated [evt_2]',
      '\r\x1b[2Kwork: 3 events (processed 3, duplicates 0, failed 0, skipped 0) account.updated [evt_3]',
      '\r\x1b[2K',
    ]);
  });
});
