export { Marketplace } from './marketplace.js';
export type { MarketplaceOptions, WebhookSecret } from './marketplace.js';
export type { Logger } from './context.js';
export { MarketplaceError, isMarketplaceError } from './errors.js';
export type { MarketplaceErrorCode } from './errors.js';
export {
  percentage,
  fixedFee,
  percentagePlusFixed,
  tiers,
  perVendor,
  capped,
  computeCommission,
  divideAndRound,
} from './money/commission.js';
export type { CommissionPolicy, CommissionContext, RoundingMode, PercentageOptions, Tier, Caps } from './money/commission.js';
export { currencyInfo, supportedCurrencies, assertChargeAmount, formatAmount, MAX_AMOUNT } from './money/currencies.js';
export type { CurrencyInfo } from './money/currencies.js';
export { vendorStateFromAccount, canReceiveTransfers } from './onboarding/status.js';
export { EXPRESS_CONTROLLER } from './onboarding/onboarding.js';
export type {
  OnboardVendorInput,
  OnboardVendorResult,
  CompleteAccountLinkInput,
  CompleteOAuthInput,
  OAuthAuthorizeUrlInput,
  OAuthAuthorizeUrlResult,
} from './onboarding/onboarding.js';
export { checkoutIdempotencyKey } from './checkout/checkout.js';
export type {
  CheckoutInput,
  CheckoutResult,
  EmbeddedCheckoutInput,
  EmbeddedCheckoutResult,
  HostedCheckoutInput,
  HostedCheckoutResult,
  LineItem,
} from './checkout/checkout.js';
export { ORDER_TRANSITIONS, canTransition, statusesBefore } from './orders/transitions.js';
export { memoryStorage } from './storage/memory.js';
export { webhookHttpAnswer, IN_PROGRESS_STATUS, MAX_WEBHOOK_BODY_BYTES } from './webhooks/http.js';
export type { WebhookResult, WebhookOutcome } from './webhooks/http.js';
export type { WebhookInput } from './webhooks/process.js';
export type {
  WebhookContext,
  WebhookErrorHandler,
  WebhookEvent,
  WebhookEventType,
  WebhookHandler,
} from './webhooks/registry.js';
export { applyOrderUpdate } from './storage/apply.js';
export type * from './storage/types.js';
