/**
 * Form decoding as Stripe's API does it: `a[b][c]=v` nests, `a[0]=x` and `a[]=x` build arrays,
 * and an empty value means "unset" (stripe-node encodes `null` as an empty string).
 */

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

function decode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

/** Splits `a[b][0][]` into `['a', 'b', '0', '']`. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  for (const match of key.slice(open).matchAll(/\[([^\]]*)\]/g)) path.push(match[1] ?? '');
  return path;
}

function isIndex(segment: string): boolean {
  return segment === '' || /^\d+$/.test(segment);
}

/** Decodes an `application/x-www-form-urlencoded` body (or query string) into nested objects and arrays. */
export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const path = keyPath(rawKey);
    let node: FormObject | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string;
      const last = i === path.length - 1;
      const nextIsIndex = !last && isIndex(path[i + 1] as string);
      if (Array.isArray(node)) {
        const index = segment === '' ? node.length : Number(segment);
        if (last) node[index] = value;
        else {
          node[index] ??= nextIsIndex ? [] : {};
          node = node[index] as FormObject | FormValue[];
        }
      } else {
        if (last) node[segment] = value;
        else {
          const existing = node[segment];
          if (existing === undefined || typeof existing === 'string') node[segment] = nextIsIndex ? [] : {};
          node = node[segment] as FormObject | FormValue[];
        }
      }
    }
  }
  return compactArrays(root) as FormObject;
}

/** `a[3]=x` alone gives `[x]`, as at Stripe: indices order items, they do not leave holes. */
function compactArrays(value: FormValue): FormValue {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays);
  if (typeof value === 'object') {
    const out: FormObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = compactArrays(v);
    return out;
  }
  return value;
}

/** JSON with sorted keys: equal parameters give equal strings, whatever their order on the wire. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
