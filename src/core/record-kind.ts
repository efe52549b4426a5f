/** How a record kind is stored: the envelope storage adapters write, derived from the record. */

/** How one record kind is stored: its kind name, and the envelope derived from a record. */
export interface RecordKind<D> {
  readonly kind: string;
  readonly id: (record: D) => string;
  readonly status: (record: D) => string;
  /** The kind's one secondary index (for `list`), or null. */
  readonly index: (record: D) => string | null;
  /** The Stripe ids that resolve to the record. */
  readonly refs: (record: D) => readonly string[];
  readonly expiresAt?: (record: D) => number | null;
  readonly createdAt: (record: D) => number;
}

/** The envelope `storage.insert`/`storage.update` write for `record`. */
export function envelope<D>(spec: RecordKind<D>, record: D) {
  return {
    kind: spec.kind,
    id: spec.id(record),
    status: spec.status(record),
    index: spec.index(record),
    refs: spec.refs(record),
    expiresAt: spec.expiresAt ? spec.expiresAt(record) : null,
    createdAt: spec.createdAt(record),
    data: record,
  };
}

/** The ids that are set, for a kind's `refs`. */
export const present = (...ids: (string | null)[]): string[] => ids.filter((id): id is string => id !== null);
