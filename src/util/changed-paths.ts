/**
 * The paths (`a.b.0.c`) at which two JSON values differ; key order does not matter (a `jsonb` column
 * reorders keys). A key that is absent on one side and undefined on the other is no difference.
 */
export function changedPaths(before: unknown, after: unknown, path = ''): string[] {
  if (Object.is(before, after)) return [];
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (!isObject(before) || !isObject(after) || Array.isArray(before) !== Array.isArray(after)) return [path || '(value)'];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const key of keys) changed.push(...changedPaths(before[key], after[key], path ? `${path}.${key}` : key));
  return changed;
}
