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
} from './core/money/commission.js';
export { percentageOf, applicationFeePercentFor } from './core/money/commission.js';
export type {
  CommissionPolicy,
  CommissionContext,
  RoundingMode,
  PercentageOptions,
  Tier,
  Caps,
} from './core/money/commission.js';
export { currencyInfo, supportedCurrencies, assertChargeAmount, formatAmount, MAX_AMOUNT } from './core/money/currencies.js';
export type { CurrencyInfo } from './core/money/currencies.js';
export {
  proportionalRefund,
  platformKeepsFee,
  platformBearsRefund,
  splitRefund,
  allocateRefund,
  shareHalfUp,
} from './core/money/refund.js';
export type {
  RefundPolicy,
  RefundPolicyContext,
  RefundShare,
  RefundLine,
  RefundPart,
  SplitRefundInput,
} from './core/money/refund.js';
export type { RefundInput } from './flows/refund.js';
export { vendorStateFromAccount, canReceiveTransfers } from './core/vendor-status.js';
export { EXPRESS_CONTROLLER } from './flows/onboarding.js';
export type {
  OnboardVendorInput,
  OnboardVendorResult,
  CompleteAccountLinkInput,
  CompleteOAuthInput,
  OAuthAuthorizeUrlInput,
  OAuthAuthorizeUrlResult,
} from './flows/onboarding.js';
export { checkoutIdempotencyKey } from './flows/checkout.js';
export type {
  CheckoutInput,
  CheckoutResult,
  EmbeddedCheckoutInput,
  EmbeddedCheckoutResult,
  HostedCheckoutInput,
  HostedCheckoutResult,
  LineItem,
} from './flows/checkout.js';
export { MAX_CART_ITEMS } from './flows/cart.js';
export type {
  CartCheckoutInput,
  CartCheckoutResult,
  CartItemInput,
  EmbeddedCartCheckoutInput,
  EmbeddedCartCheckoutResult,
  HostedCartCheckoutInput,
  HostedCartCheckoutResult,
} from './flows/cart.js';
export { splitByWeights } from './core/money/split.js';
export type { TransferSummary } from './services/transfers.js';
export { transferIdempotencyKey, TRANSFER_CLAIM_MS } from './core/transfers.js';
export type { CommissionItem } from './core/money/commission.js';
export { ORDER_TRANSITIONS, canTransition, statusesBefore } from './core/transitions.js';
export { memoryStorage } from './storage/memory.js';
export { webhookHttpAnswer, IN_PROGRESS_STATUS, MAX_WEBHOOK_BODY_BYTES } from './http/outcome.js';
export type { WebhookResult, WebhookOutcome } from './http/outcome.js';
export type { WebhookInput } from './webhooks/handle.js';
export type { ReceiveOutcome } from './webhooks/receive.js';
export type { VerifyResult, WebhookEndpoint } from './webhooks/verify.js';
export type { InboxSummary, InboxProgress, BackfillOptions, WorkOptions } from './webhooks/inbox.js';
export { PROJECTED_EVENT_TYPES } from './webhooks/projectors/index.js';
export type { MarketplaceEvents, ListOrdersOptions, ListVendorsOptions } from './marketplace.js';
export type { ListPayoutsOptions } from './flows/payouts.js';
export type { VendorBalance } from './flows/payouts.js';
export { DISPUTE_STAGE, REFUND_TRANSITIONS, PAYOUT_TRANSITIONS } from './core/transitions.js';
export { disputeMayMove } from './core/transitions.js';
export {
  platformBearsDisputes,
  vendorBearsDisputes,
  disputePolicyContext,
  resolveDisputeRecoveries,
  splitLargestRemainder,
} from './core/money/dispute.js';
export type { DisputePolicy, DisputePolicyContext, DisputeRecovery, DisputeVendorShare } from './core/money/dispute.js';
export { VENDOR, ORDER, DISPUTE, REFUND, TRANSFER, PAYOUT, OAUTH_STATE, envelope } from './core/records.js';
export type * from './core/records.js';
// The stored accounts.create request of onboardVendor (see README, Retries after a crash).
export { ACCOUNT_REQUEST } from './core/records.js';
export type {
  WebhookContext,
  WebhookErrorHandler,
  WebhookEvent,
  WebhookEventType,
  WebhookHandler,
  WebhookStorage,
} from './webhooks/registry.js';
export type * from './storage/types.js';
export { SUBSCRIPTION, INVOICE } from './core/records.js';
export { subscriptionIdempotencyKey, MAX_TRIAL_DAYS } from './flows/subscriptions.js';
export type {
  CreateSubscriptionInput,
  CreateSubscriptionResult,
  EmbeddedSubscriptionInput,
  EmbeddedSubscriptionResult,
  HostedSubscriptionInput,
  HostedSubscriptionResult,
  SubscriptionPriceInput,
} from './flows/subscriptions.js';
export type {
  CancelSubscriptionInput,
  ListSubscriptionsOptions,
  PauseSubscriptionInput,
} from './flows/subscription-lifecycle.js';
export { VENDOR_SESSION_COMPONENTS } from './flows/vendor-tools.js';
export type {
  CustomerPortalLinkInput,
  CustomerPortalLinkResult,
  PaymentDomainResult,
  PaymentDomainWallet,
  RegisterPaymentDomainOptions,
  VendorSessionComponent,
  VendorSessionComponentConfig,
  VendorSessionInput,
  VendorSessionResult,
} from './flows/vendor-tools.js';
export type { ListDisputesOptions } from './flows/disputes.js';
