/**
 * Every error this library throws is a `MarketplaceError` with a stable `code`.
 * Branch on `code` (or use `isMarketplaceError`), not on `instanceof`: when both the ESM
 * and the CJS build of this package are loaded, there are two copies of the class.
 */
export type MarketplaceErrorCode =
  /** A constructor option is missing, unknown or malformed. */
  | 'INVALID_OPTIONS'
  /** A method argument is missing, unknown or malformed. */
  | 'INVALID_INPUT'
  /** The currency is not one Stripe charges in. */
  | 'UNSUPPORTED_CURRENCY'
  /** The amount is below Stripe's minimum charge for the currency. */
  | 'AMOUNT_TOO_SMALL'
  /** The commission policy returned something other than an integer in [0, amount], or threw. */
  | 'INVALID_COMMISSION'
  /** No vendor is stored under this id. */
  | 'VENDOR_NOT_FOUND'
  /** The vendor's connected account cannot receive transfers yet. */
  | 'VENDOR_NOT_READY'
  /** Completing OAuth would replace the vendor's connected account with another; pass `replaceAccount: true`. */
  | 'VENDOR_ACCOUNT_EXISTS'
  /** The order id is already used for a different amount, currency, vendor or mode, or for another Stripe request. */
  | 'ORDER_CONFLICT'
  /**
   * A cart (`createCheckout` with `items`) Stripe would refuse or the library cannot pay out: it is empty,
   * mixes currencies, names a vendor twice, or totals more than Stripe's amount limit.
   */
  | 'INVALID_CART'
  /** The OAuth `state` is unknown, expired or already used. */
  | 'OAUTH_STATE_INVALID'
  /** Stripe redirected back from OAuth with `error` (for example the user denied access). */
  | 'OAUTH_DENIED'
  /** Stripe refused the request or could not be reached; the Stripe error is `cause`. */
  | 'STRIPE_ERROR'
  /** The storage adapter failed; its error is `cause`. */
  | 'STORAGE_ERROR'
  /** A webhook handler (yours or a built-in one) threw; the thrown value is `cause`. */
  | 'WEBHOOK_HANDLER_FAILED'
  /** The dispute policy threw, or answered other than integer amounts within each vendor's transfer and the disputed amount. */
  | 'INVALID_DISPUTE_POLICY'
  /** No order is stored under this id. */
  | 'ORDER_NOT_FOUND'
  /** The order has no successful payment to refund (it is pending, failed, canceled or expired). */
  | 'ORDER_NOT_REFUNDABLE'
  /** The refund asks for more than what is left to refund on the order (nothing was sent to Stripe). */
  | 'REFUND_EXCEEDS_REMAINING'
  /** The refund id is already used on this order with a different amount, reason or metadata. */
  | 'REFUND_CONFLICT'
  /** The refund policy threw, or answered something other than integers within the refund's bounds. */
  | 'INVALID_REFUND_POLICY'
  /** The subscription id is already used for a different vendor, customer, price or mode. */
  | 'SUBSCRIPTION_CONFLICT'
  /** No subscription is stored under this id, or Stripe has not created it yet (a hosted one not paid). */
  | 'SUBSCRIPTION_NOT_FOUND'
  /**
   * The commission policy, a webhook or `onError` handler, or a storage call did not answer within its
   * time limit (`MarketplaceOptions.timeouts`); `details.timeoutMs` is the limit. The late answer is ignored.
   */
  | 'TIMEOUT'
  /**
   * `onboardVendor` gave another country, email or business profile than the vendor's connected account was
   * requested with (the request is stored before Stripe is called); `details.differences` names them.
   */
  | 'VENDOR_CONFLICT';

export interface MarketplaceErrorOptions {
  cause?: unknown;
  /** Extra, code-specific facts (for example `{ param: 'amount' }`). */
  details?: Record<string, unknown>;
}

const PREFIX = '[stripe-marketplace]';

export class MarketplaceError extends Error {
  override readonly name = 'MarketplaceError';
  readonly code: MarketplaceErrorCode;
  readonly details: Record<string, unknown>;
  /**
   * For `STRIPE_ERROR` caused by a card decline: Stripe's `decline_code`
   * (for example `insufficient_funds`), otherwise undefined.
   */
  readonly declineCode: string | undefined;
  /** For `STRIPE_ERROR`: Stripe's error `code` (for example `amount_too_small`), otherwise undefined. */
  readonly stripeCode: string | undefined;
  /** For `STRIPE_ERROR`: the HTTP status Stripe answered with, when there was one. */
  readonly statusCode: number | undefined;

  constructor(code: MarketplaceErrorCode, message: string, options: MarketplaceErrorOptions = {}) {
    super(`${PREFIX} ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    const cause = options.cause as
      | { decline_code?: unknown; code?: unknown; statusCode?: unknown; raw?: { decline_code?: unknown } }
      | undefined;
    const isStripe = code === 'STRIPE_ERROR' && typeof cause === 'object' && cause !== null;
    this.declineCode = isStripe ? stringOrUndefined(cause.decline_code ?? cause.raw?.decline_code) : undefined;
    this.stripeCode = isStripe ? stringOrUndefined(cause.code) : undefined;
    this.statusCode = isStripe && typeof cause.statusCode === 'number' ? cause.statusCode : undefined;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * True when `error` is a MarketplaceError from any copy of this package (ESM or CJS),
 * optionally with the given code.
 */
export function isMarketplaceError(error: unknown, code?: MarketplaceErrorCode): error is MarketplaceError {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown };
  if (e.name !== 'MarketplaceError' || typeof e.code !== 'string') return false;
  return code === undefined || e.code === code;
}

/** Wraps anything thrown by the Stripe client as `STRIPE_ERROR`, keeping the original as `cause`. */
export function stripeError(operation: string, error: unknown): MarketplaceError {
  if (isMarketplaceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MarketplaceError('STRIPE_ERROR', `Stripe refused ${operation}: ${message}`, { cause: error });
}

/** Wraps anything thrown by the storage adapter as `STORAGE_ERROR`, keeping the original as `cause`. */
export function storageError(operation: string, error: unknown): MarketplaceError {
  if (isMarketplaceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MarketplaceError('STORAGE_ERROR', `storage failed to ${operation}: ${message}`, { cause: error });
}
