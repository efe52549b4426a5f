import type { RawResponse } from './types.js';

/** How long Stripe keeps an idempotency key at least; the sandbox forgets it exactly then. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Saved responses by `account key`, with the fingerprint of the request that first used the key. */
export class IdempotencyCache {
  private readonly saved = new Map<string, { fingerprint: string; response: RawResponse; savedAt: number }>();

  constructor(private readonly nowMs: () => number) {}

  /** The saved entry for `scope`, or undefined (also once it is older than the TTL, which drops it). */
  find(scope: string): { fingerprint: string; response: RawResponse } | undefined {
    const saved = this.saved.get(scope);
    if (saved && this.nowMs() - saved.savedAt >= IDEMPOTENCY_TTL_MS) {
      this.saved.delete(scope);
      return undefined;
    }
    return saved;
  }

  save(scope: string, fingerprint: string, response: RawResponse): void {
    this.saved.set(scope, { fingerprint, response, savedAt: this.nowMs() });
  }
}
