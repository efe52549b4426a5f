import * as z from 'zod/mini';
import { MarketplaceError } from '../errors.js';

/** The longest vendor or order id: idempotency keys (`checkout:<orderId>`) must stay within Stripe's 255 characters. */
export const MAX_ID_LENGTH = 200;

/** A platform id (vendor or order): a non-empty string of at most 200 printable characters. */
export function idSchema() {
  return z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH), z.regex(/^[\x21-\x7e]+$/));
}

/** Hosts a plain `http:` URL may point at: the developer's own machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an `https:` URL, or an `http:` URL on a loopback host (local development). */
export function isWebUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/** A URL Stripe sends a browser to: `https:`, or `http:` on localhost, 127.0.0.1 or [::1]. */
export function webUrlSchema() {
  return z
    .string()
    .check(
      z.maxLength(2048),
      z.refine(isWebUrl, { message: 'must be an https: URL (http: only on localhost, 127.0.0.1 or [::1])' }),
    );
}

/** True when `value` holds a C0 control character or DEL; tab, line feed and carriage return pass when `allowBreaks`. */
function hasControl(value: string, allowBreaks: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x7f) return true;
    if (code < 0x20 && !(allowBreaks && (code === 0x09 || code === 0x0a || code === 0x0d))) return true;
  }
  return false;
}

/** Free text sent to Stripe and stored (descriptions, names, metadata values): no control character but tab and newlines. */
export function textSchema(maxLength: number, minLength = 0) {
  return z.string().check(
    z.minLength(minLength),
    z.maxLength(maxLength),
    z.refine((value) => !hasControl(value, true), { message: 'must not contain control characters' }),
  );
}

/** Keys that would name an object's internals once stored or copied: refused, never silently dropped. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A metadata key: Stripe's rules (at most 40 characters, no square brackets), printable, and not an object internal. */
export function metadataKeySchema() {
  return z.string().check(
    z.minLength(1),
    z.maxLength(40),
    z.regex(/^[^[\]]+$/),
    z.refine((key) => !hasControl(key, false), { message: 'must not contain control characters' }),
    z.refine((key) => !FORBIDDEN_KEYS.has(key), { message: 'is a reserved key (__proto__, constructor, prototype)' }),
  );
}

/**
 * Throws INVALID_INPUT when `value` has an own key `__proto__`, `constructor` or `prototype` (a parsed JSON
 * body can carry one): a schema would drop `__proto__` silently, and the caller would not know.
 */
export function refuseForbiddenKeys(value: unknown, where: string): void {
  if (typeof value !== 'object' || value === null) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) {
      throw new MarketplaceError('INVALID_INPUT', `${where}.${key} is a reserved key (__proto__, constructor, prototype)`, {
        details: { param: `${where.split(': ').pop()}.${key}` },
      });
    }
  }
}

/** Stripe allows 50 metadata keys; the library adds `order_id` and `vendor_id`. */
export const MAX_METADATA_KEYS = 48;

/**
 * Checkout metadata: Stripe's rules (keys of at most 40 characters without square brackets, values of at
 * most 500), checked before the order is stored, so that a value Stripe refuses cannot make every retry of
 * that order id fail the same way.
 */
export function checkoutMetadataSchema() {
  return z.optional(
    z.record(metadataKeySchema(), textSchema(500)).check(
      z.refine((value) => Object.keys(value).length <= MAX_METADATA_KEYS, {
        message: `at most ${MAX_METADATA_KEYS} keys (Stripe allows 50, and the library adds order_id and vendor_id)`,
      }),
    ),
  );
}
