/**
 * A minimal signed session cookie for the example's driver pages. A real platform has its own login; what
 * matters is the rule: only the signed-in driver may mint onboarding links for their account or see its
 * status, because an Account Link opens that driver's personal and payout details.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const COOKIE = 'vendor_session';

export interface VendorSessions {
  /** The `Set-Cookie` value that signs the browser in as `vendorId`. */
  cookie(vendorId: string): string;
  /** The vendor the request's `Cookie` header is signed in as, or null. */
  vendorOf(cookieHeader: string | undefined): string | null;
}

/** `secret` signs the cookies; without one, a random secret is made (sessions then end with the process). */
export function vendorSessions(secret: string = randomBytes(32).toString('hex')): VendorSessions {
  const sign = (vendorId: string) => createHmac('sha256', secret).update(vendorId).digest('base64url');
  return {
    cookie: (vendorId) => `${COOKIE}=${encodeURIComponent(vendorId)}.${sign(vendorId)}; HttpOnly; SameSite=Lax; Path=/`,
    vendorOf(header) {
      for (const part of (header ?? '').split(';')) {
        const [name, value] = part.trim().split('=', 2);
        if (name !== COOKIE || !value) continue;
        const dot = value.lastIndexOf('.');
        const vendorId = decodeURIComponent(value.slice(0, dot));
        const given = Buffer.from(value.slice(dot + 1));
        const expected = Buffer.from(sign(vendorId));
        if (dot > 0 && given.length === expected.length && timingSafeEqual(given, expected)) return vendorId;
      }
      return null;
    },
  };
}
