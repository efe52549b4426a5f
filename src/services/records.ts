import { envelope, type RecordKind } from '../core/records.js';
import { storageError } from '../errors.js';
import type { MarketplaceStorage, StoredRecord } from '../storage/types.js';

/** How many times a version-guarded write is retried when another writer got there first. */
const MAX_WRITE_ATTEMPTS = 25;

/** Runs a storage call and wraps its failure as `STORAGE_ERROR`. */
export async function callStorage<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageError(operation, error);
  }
}

/** The record of `spec`'s kind with `id`, as stored (with its version), or null. */
export function getStored<D>(storage: MarketplaceStorage, spec: RecordKind<D>, id: string): Promise<StoredRecord<D> | null> {
  return callStorage(`read the ${spec.kind}`, () => storage.get<D>(spec.kind, id));
}

/** The record a Stripe id resolves to, when it is of `spec`'s kind. */
export async function resolveStored<D>(
  storage: MarketplaceStorage,
  spec: RecordKind<D>,
  stripeId: string,
): Promise<StoredRecord<D> | null> {
  const found = await callStorage(`find the ${spec.kind} of ${stripeId}`, () => storage.resolve<D>(stripeId));
  return found && found.kind === spec.kind ? found : null;
}

/** Inserts `record` unless its id is stored; returns the stored record (the winner's under a race). */
export async function insertRecord<D>(
  storage: MarketplaceStorage,
  spec: RecordKind<D>,
  record: D,
): Promise<{ created: boolean; record: StoredRecord<D> }> {
  return callStorage(`store the ${spec.kind}`, () => storage.insert<D>(envelope(spec, record)));
}

/**
 * Applies `change` to the stored record with a version-guarded write, and retries with the record as it
 * then stands when another writer got there first: the rule lives in `change` (a pure function of the
 * current record), and storage only makes the write atomic. `change` returns null to write nothing.
 * `current` saves the first read when the caller has the record already; `maxAttempts` bounds the retries.
 */
export async function mutateRecord<D>(
  storage: MarketplaceStorage,
  spec: RecordKind<D>,
  id: string,
  change: (current: D) => D | null,
  current?: StoredRecord<D> | null,
  maxAttempts = MAX_WRITE_ATTEMPTS,
): Promise<{ applied: boolean; record: D | null }> {
  let stored = current === undefined ? await getStored(storage, spec, id) : current;
  for (let attempt = 1; ; attempt++) {
    if (!stored) return { applied: false, record: null };
    const next = change(stored.data);
    if (next === null) return { applied: false, record: stored.data };
    const version = stored.version;
    const result = await callStorage(`update the ${spec.kind}`, () =>
      storage.update<D>(spec.kind, id, envelope(spec, next), { version }),
    );
    if (result.applied && result.record) return { applied: true, record: result.record.data };
    if (attempt >= maxAttempts) {
      throw storageError(
        `update the ${spec.kind}`,
        new Error(`the ${spec.kind} "${id}" kept changing under ${maxAttempts} concurrent writes`),
      );
    }
    stored = result.record;
  }
}

/** Records of `spec`'s kind, newest first. */
export async function listRecords<D>(
  storage: MarketplaceStorage,
  spec: RecordKind<D>,
  query: { index?: string; statuses?: readonly string[]; limit: number; createdBefore?: number },
): Promise<D[]> {
  const records = await callStorage(`list ${spec.kind} records`, () => storage.list<D>(spec.kind, query));
  return records.map((record) => record.data);
}
