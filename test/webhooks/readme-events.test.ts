import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROJECTED_EVENT_TYPES } from '../../src/index.js';

// The README's "Enable these events" table is what a platform copies into its Stripe webhook endpoints: an event the
// library projects but the table leaves out is never delivered (a renewal's fee is set on `invoice.created`).
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function endpointEvents(endpoint: 'Platform' | 'Connect'): string[] {
  const row = readme.split('\n').find((line) => line.startsWith(`| ${endpoint} | `));
  if (!row) throw new Error(`README has no "| ${endpoint} |" row`);
  return [...row.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1] as string);
}

describe('README: the events to enable', () => {
  it('lists every event type the library projects, on one endpoint or the other', () => {
    const listed = new Set([...endpointEvents('Platform'), ...endpointEvents('Connect')]);
    expect(PROJECTED_EVENT_TYPES.filter((type) => !listed.has(type))).toEqual([]);
  });
});
