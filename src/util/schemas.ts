import * as z from 'zod/mini';

/** The longest vendor or order id: idempotency keys (`checkout:<orderId>`) must stay within Stripe's 255 characters. */
export const MAX_ID_LENGTH = 200;

/** A platform id (vendor or order): a non-empty string of at most 200 printable characters. */
export function idSchema() {
  return z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH), z.regex(/^[\x21-\x7e]+$/));
}
