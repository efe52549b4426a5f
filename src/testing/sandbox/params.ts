import type { FormObject, FormValue } from './form.js';
import { invalidRequest, missingParam, unknownParam } from './errors.js';

/**
 * What an endpoint accepts, written compactly:
 * - `'string'`, `'integer'`, `'boolean'`, `'metadata'`, `'strings'` (a list of strings), `'any'`;
 *   a trailing `!` makes a parameter required;
 * - `'enum:a|b|c'` (with an optional trailing `!`);
 * - a nested object spec, or `[spec]` for a list of objects. Nested specs may name `'!'` to be required.
 * Parameters the spec does not name are refused with `parameter_unknown`, as Stripe does.
 */
export type Spec = string | SpecObject | [SpecObject];
export interface SpecObject {
  [key: string]: Spec | boolean | undefined;
  /** The object itself is required. */
  '!'?: boolean;
}

export type Params = Record<string, unknown>;

function pathOf(parent: string, key: string): string {
  return parent ? `${parent}[${key}]` : key;
}

function checkScalar(kind: string, value: FormValue, path: string): unknown {
  if (kind === 'any') return value;
  if (typeof value !== 'string') {
    if (kind === 'strings' && Array.isArray(value)) {
      return value.map((v, i) => {
        if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${pathOf(path, String(i))}`, { param: path });
        return v;
      });
    }
    if (kind === 'metadata' && !Array.isArray(value)) return checkMetadata(value, path);
    throw invalidRequest(
      `Invalid ${kind === 'integer' ? 'integer' : kind === 'boolean' ? 'boolean' : 'string'}: ${path} must be a ${kind === 'strings' ? 'list' : 'scalar'}`,
      {
        param: path,
      },
    );
  }
  if (value === '') return null;
  if (kind === 'string') return value;
  if (kind === 'integer') {
    if (!/^-?\d+$/.test(value)) {
      throw invalidRequest(`Invalid integer: ${value}`, { param: path, code: 'parameter_invalid_integer' });
    }
    return Number(value);
  }
  if (kind === 'boolean') {
    if (value !== 'true' && value !== 'false') throw invalidRequest(`Invalid boolean: ${value}`, { param: path });
    return value === 'true';
  }
  if (kind === 'strings') return [value];
  if (kind === 'metadata') throw invalidRequest(`Invalid hash: ${path} must be an object of strings`, { param: path });
  if (kind.startsWith('enum:')) {
    const allowed = kind.slice(5).split('|');
    if (!allowed.includes(value)) {
      const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')}, or ${allowed.at(-1)}` : allowed[0];
      throw invalidRequest(`Invalid ${path}: must be one of ${list}`, { param: path });
    }
    return value;
  }
  throw new Error(`sandbox: unknown spec kind ${kind}`);
}

function checkMetadata(value: { [key: string]: FormValue }, path: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const keys = Object.keys(value);
  if (keys.length > 50) throw invalidRequest(`Invalid ${path}: at most 50 keys`, { param: path });
  for (const key of keys) {
    const v = value[key];
    if (typeof v !== 'string')
      throw invalidRequest(`Invalid ${pathOf(path, key)}: must be a string`, { param: pathOf(path, key) });
    if (key.length > 40) throw invalidRequest(`Metadata key ${key} is longer than 40 characters`, { param: pathOf(path, key) });
    if (v.length > 500)
      throw invalidRequest(`Metadata value for ${key} is longer than 500 characters`, { param: pathOf(path, key) });
    out[key] = v;
  }
  return out;
}

function checkObject(spec: SpecObject, value: FormValue, path: string): Params {
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest(`Invalid hash: ${path}`, { param: path });
  }
  const out: Params = {};
  for (const key of Object.keys(value)) {
    if (key === '!' || !(key in spec)) throw unknownParam(pathOf(path, key));
  }
  for (const [key, sub] of Object.entries(spec)) {
    if (key === '!' || sub === undefined || typeof sub === 'boolean') continue;
    const childPath = pathOf(path, key);
    const child = value[key];
    const required = typeof sub === 'string' ? sub.endsWith('!') : Array.isArray(sub) ? false : sub['!'] === true;
    if (child === undefined || child === '') {
      if (required) throw missingParam(childPath);
      if (child === '') out[key] = null;
      continue;
    }
    out[key] = checkValue(sub, child, childPath);
  }
  return out;
}

function checkValue(spec: Spec, value: FormValue, path: string): unknown {
  if (typeof spec === 'string') return checkScalar(spec.replace(/!$/, ''), value, path);
  if (Array.isArray(spec)) {
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${path}`, { param: path });
    return value.map((item, i) => checkObject(spec[0], item, pathOf(path, String(i))));
  }
  return checkObject(spec, value, path);
}

/** Checks decoded parameters against `spec`; throws Stripe-shaped errors for unknown, missing or malformed ones. */
export function checkParams(spec: SpecObject, params: FormObject): Params {
  return checkObject(spec, params, '');
}
