/**
 * Errors shaped like Stripe's (https://docs.stripe.com/api/errors): an HTTP status and a body
 * `{ error: { type, code, decline_code, param, message, doc_url, ... } }`.
 */

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  request_log_url?: string;
}

export class SandboxApiError extends Error {
  override readonly name = 'SandboxApiError';
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    /** Stripe saves the result for the idempotency key only once an endpoint started executing. */
    readonly executed = false,
  ) {
    super(body.message);
  }
}

function docUrl(code: string | undefined): string | undefined {
  return code ? `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` : undefined;
}

export function invalidRequest(
  message: string,
  options: { param?: string; code?: string; status?: number } = {},
): SandboxApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (options.code) {
    body.code = options.code;
    body.doc_url = docUrl(options.code) as string;
  }
  if (options.param) body.param = options.param;
  return new SandboxApiError(options.status ?? 400, body);
}

export function missingParam(param: string): SandboxApiError {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
}

export function unknownParam(param: string): SandboxApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, { param, code: 'parameter_unknown' });
}

export function noSuch(kind: string, id: string, param = 'id'): SandboxApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, { param, code: 'resource_missing', status: 404 });
}

export function unexpectedState(message: string, code = 'payment_intent_unexpected_state'): SandboxApiError {
  return invalidRequest(message, { code });
}

export function cardError(
  code: string,
  declineCode: string | undefined,
  message: string,
  extra: { charge?: string; payment_intent?: unknown },
): SandboxApiError {
  const body: StripeErrorBody = { type: 'card_error', code, message, doc_url: docUrl(code) as string, ...extra };
  if (declineCode) body.decline_code = declineCode;
  // A declined confirmation ran: its result is saved against the idempotency key.
  return new SandboxApiError(402, body, true);
}

/** An OAuth error (`/oauth/*`), answered as `400 { error, error_description }`. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}
