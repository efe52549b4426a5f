/** Small value helpers shared by the core and the resource modules. */

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function num(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

export function meta(value: unknown): Record<string, string> {
  return (value && typeof value === 'object' ? { ...(value as Record<string, string>) } : {}) as Record<string, string>;
}

/** Stripe's metadata update: keys merge in, an empty value removes a key, and an empty `metadata` clears all. */
export function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === null) return {};
  const next = { ...current };
  for (const [key, value] of Object.entries(meta(update))) {
    if (value === '') delete next[key];
    else next[key] = value;
  }
  return next;
}

/** A header's first value, looked up case-insensitively. */
export function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
