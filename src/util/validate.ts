import type * as z from 'zod/mini';
import { MarketplaceError, type MarketplaceErrorCode } from '../errors.js';

type Issue = z.core.$ZodIssue;

function describeIssue(issue: Issue): string {
  const path = issue.path.map(String).join('.');
  const where = path === '' ? 'input' : path;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.map((k) => `"${k}"`).join(', ')}${path ? ` in ${path}` : ''}`;
    case 'invalid_type':
      return issue.input === undefined ? `${where} is required` : `${where} must be ${article(issue.expected)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `${where} must not be empty`
        : issue.origin === 'array'
          ? `${where} must have at least ${issue.minimum} item(s)`
          : `${where} must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `${where} must be at most ${issue.maximum} characters`
        : `${where} must be at most ${issue.maximum}`;
    case 'invalid_format':
      return `${where} must be ${issue.format === 'regex' ? 'in the expected format' : `a valid ${issue.format}`}`;
    case 'invalid_value':
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      return `${where} does not match any accepted shape`;
    default:
      return `${where} is invalid${issue.message && issue.message !== 'Invalid input' ? `: ${issue.message}` : ''}`;
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/**
 * Parses `value` with `schema`, or throws a `MarketplaceError` (default code `INVALID_INPUT`) whose
 * message names every offending key, including unknown ones.
 */
export function parseWith<T>(
  schema: z.ZodMiniType<T>,
  value: unknown,
  context: string,
  code: MarketplaceErrorCode = 'INVALID_INPUT',
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw new MarketplaceError(code, `${context}: ${problems.join('; ')}`, {
    details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), code: i.code })) },
  });
}

/** Builds a value once, on first use, so that schemas cost nothing at import time. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}
