/** Assertions for the conformance suite, independent of any test runner. */

export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

function show(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === undefined ? '<undefined>' : v), 2) ?? String(value);
}

/** Deep equality for JSON-like values (plain objects compared by their own keys, in any order). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    throw new ConformanceError(`${what}\nexpected: ${show(expected)}\nreceived: ${show(actual)}`);
  }
}

export function assertTrue(condition: boolean, what: string): asserts condition {
  if (!condition) throw new ConformanceError(what);
}

/** Resolves to the error `promise` rejects with; fails when it resolves. */
export async function rejects(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new ConformanceError(`${what}: expected a rejection, but it resolved`);
}
