import type Stripe from 'stripe';

/**
 * Builders for the objects the sandbox returns. Each is typed as stripe-node's own type, so the
 * compiler checks that the sandbox answers in the shape the typed client promises.
 */

const empty = <T>(url: string): Stripe.ApiList<T> => ({ object: 'list', data: [], has_more: false, url });

export interface CardInfo {
  brand: string;
  last4: string;
  funding: string;
  country: string;
}

export function accountRequirements(currentlyDue: string[]): Stripe.Account.Requirements {
  return {
    alternatives: [],
    current_deadline: null,
    currently_due: [...currentlyDue],
    disabled_reason: currentlyDue.length > 0 ? 'requirements.past_due' : null,
    errors: [],
    eventually_due: [...currentlyDue],
    past_due: [...currentlyDue],
    pending_verification: [],
  };
}

export function newAccount(fields: {
  id: string;
  created: number;
  type: Stripe.Account.Type;
  controller: Stripe.Account.Controller | undefined;
  country: string;
  email: string | null;
  metadata: Record<string, string>;
  capabilities: Stripe.Account.Capabilities;
  requirements: Stripe.Account.Requirements;
  businessType: Stripe.Account.BusinessType | null;
  businessProfile: Stripe.Account.BusinessProfile | null;
  defaultCurrency: string;
}): Stripe.Account {
  const account: Stripe.Account = {
    id: fields.id,
    object: 'account',
    business_profile: fields.businessProfile,
    business_type: fields.businessType,
    capabilities: fields.capabilities,
    charges_enabled: false,
    country: fields.country,
    created: fields.created,
    default_currency: fields.defaultCurrency,
    details_submitted: false,
    email: fields.email,
    external_accounts: empty(`/v1/accounts/${fields.id}/external_accounts`),
    future_requirements: accountRequirements([]),
    metadata: fields.metadata,
    payouts_enabled: false,
    requirements: fields.requirements,
    settings: null,
    tos_acceptance: {},
    type: fields.type,
  };
  if (fields.controller) account.controller = fields.controller;
  return account;
}

export function newPaymentIntent(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  applicationFeeAmount: number | null;
  transferData: Stripe.PaymentIntent.TransferData | null;
  automaticPaymentMethods: Stripe.PaymentIntent.AutomaticPaymentMethods | null;
  excludedPaymentMethodTypes: string[] | null;
  metadata: Record<string, string>;
  description: string | null;
  receiptEmail: string | null;
  onBehalfOf: string | null;
  paymentMethod: string | null;
  transferGroup: string | null;
  statementDescriptor: string | null;
  statementDescriptorSuffix: string | null;
  clientSecret: string;
}): Stripe.PaymentIntent {
  return {
    id: fields.id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: fields.amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: fields.applicationFeeAmount,
    automatic_payment_methods: fields.automaticPaymentMethods,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: fields.clientSecret,
    confirmation_method: 'automatic',
    created: fields.created,
    currency: fields.currency,
    customer: null,
    customer_account: null,
    description: fields.description,
    excluded_payment_method_types: fields.excludedPaymentMethodTypes as Stripe.PaymentIntent['excluded_payment_method_types'],
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: fields.metadata,
    next_action: null,
    on_behalf_of: fields.onBehalfOf,
    payment_method: fields.paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_record: null,
    processing: null,
    receipt_email: fields.receiptEmail,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: fields.statementDescriptor,
    statement_descriptor_suffix: fields.statementDescriptorSuffix,
    status: fields.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: fields.transferData,
    transfer_group: fields.transferGroup,
  };
}

export function newCharge(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  paymentIntent: string | null;
  paymentMethod: string | null;
  card: CardInfo | null;
  status: 'succeeded' | 'failed';
  failure: { code: string; declineCode: string | null; message: string } | null;
  applicationFeeAmount: number | null;
  destination: string | null;
  onBehalfOf: string | null;
  metadata: Record<string, string>;
  description: string | null;
  receiptEmail: string | null;
  transferGroup: string | null;
  balanceTransaction: string | null;
  sourceTransfer: string | null;
}): Stripe.Charge {
  const succeeded = fields.status === 'succeeded';
  const outcome: Stripe.Charge.Outcome = {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: succeeded ? 'approved_by_network' : 'declined_by_network',
    reason: fields.failure?.declineCode ?? null,
    risk_level: 'normal',
    risk_score: 20,
    seller_message: succeeded ? 'Payment complete.' : 'The bank did not return any further details with this decline.',
    type: succeeded ? 'authorized' : 'issuer_declined',
  };
  const card = fields.card;
  return {
    id: fields.id,
    object: 'charge',
    amount: fields.amount,
    amount_captured: succeeded ? fields.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: fields.applicationFeeAmount,
    balance_transaction: fields.balanceTransaction,
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'SANDBOX',
    captured: succeeded,
    created: fields.created,
    currency: fields.currency,
    customer: null,
    description: fields.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: fields.failure?.code ?? null,
    failure_message: fields.failure?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: fields.metadata,
    on_behalf_of: fields.onBehalfOf,
    outcome,
    paid: succeeded,
    payment_intent: fields.paymentIntent,
    payment_method: fields.paymentMethod,
    payment_method_details: card
      ? {
          type: 'card',
          card: {
            amount_authorized: succeeded ? fields.amount : null,
            authorization_code: succeeded ? '123456' : null,
            brand: card.brand,
            checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
            country: card.country,
            electronic_commerce_indicator: null,
            exp_month: 12,
            exp_year: 2034,
            funding: card.funding,
            installments: null,
            last4: card.last4,
            mandate: null,
            network: card.brand,
            network_transaction_id: null,
            regulated_status: 'unregulated',
            three_d_secure: null,
            transaction_link_id: null,
            wallet: null,
          },
        }
      : null,
    receipt_email: fields.receiptEmail,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: fields.sourceTransfer,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: fields.status,
    transfer_data: fields.destination ? { amount: null, destination: fields.destination } : null,
    transfer_group: fields.transferGroup,
  };
}

export function newBalanceTransaction(fields: {
  id: string;
  created: number;
  amount: number;
  fee: number;
  currency: string;
  type: Stripe.BalanceTransaction.Type;
  reportingCategory: string;
  source: string;
  description: string | null;
}): Stripe.BalanceTransaction {
  return {
    id: fields.id,
    object: 'balance_transaction',
    amount: fields.amount,
    available_on: fields.created,
    balance_type: 'payments',
    created: fields.created,
    currency: fields.currency,
    description: fields.description,
    exchange_rate: null,
    fee: fields.fee,
    fee_details:
      fields.fee === 0
        ? []
        : [
            {
              amount: fields.fee,
              application: null,
              currency: fields.currency,
              description: 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ],
    net: fields.amount - fields.fee,
    reporting_category: fields.reportingCategory,
    source: fields.source,
    status: 'available',
    type: fields.type,
  };
}

export function newTransfer(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  destination: string;
  destinationPayment: string | null;
  sourceTransaction: string | null;
  transferGroup: string | null;
  metadata: Record<string, string>;
  description: string | null;
  balanceTransaction: string;
}): Stripe.Transfer {
  return {
    id: fields.id,
    object: 'transfer',
    amount: fields.amount,
    amount_reversed: 0,
    balance_transaction: fields.balanceTransaction,
    created: fields.created,
    currency: fields.currency,
    description: fields.description,
    destination: fields.destination,
    destination_payment: fields.destinationPayment as string,
    livemode: false,
    metadata: fields.metadata,
    reversals: empty(`/v1/transfers/${fields.id}/reversals`),
    reversed: false,
    source_transaction: fields.sourceTransaction,
    source_type: 'card',
    transfer_group: fields.transferGroup,
  };
}

export function newTransferReversal(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  transfer: string;
  sourceRefund: string | null;
  destinationPaymentRefund: string | null;
  metadata: Record<string, string>;
  balanceTransaction: string;
}): Stripe.TransferReversal {
  return {
    id: fields.id,
    object: 'transfer_reversal',
    amount: fields.amount,
    balance_transaction: fields.balanceTransaction,
    created: fields.created,
    currency: fields.currency,
    destination_payment_refund: fields.destinationPaymentRefund,
    metadata: fields.metadata,
    source_refund: fields.sourceRefund,
    transfer: fields.transfer,
  };
}

export function newApplicationFee(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  account: string;
  application: string;
  charge: string;
  originatingTransaction: string | null;
  balanceTransaction: string;
}): Stripe.ApplicationFee {
  return {
    id: fields.id,
    object: 'application_fee',
    account: fields.account,
    amount: fields.amount,
    amount_refunded: 0,
    application: fields.application,
    balance_transaction: fields.balanceTransaction,
    charge: fields.charge,
    created: fields.created,
    currency: fields.currency,
    fee_source: { charge: fields.charge, type: 'charge' },
    livemode: false,
    originating_transaction: fields.originatingTransaction,
    refunded: false,
    refunds: empty(`/v1/application_fees/${fields.id}/refunds`),
  };
}

export function newFeeRefund(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  fee: string;
  balanceTransaction: string;
}): Stripe.FeeRefund {
  return {
    id: fields.id,
    object: 'fee_refund',
    amount: fields.amount,
    balance_transaction: fields.balanceTransaction,
    created: fields.created,
    currency: fields.currency,
    fee: fields.fee,
    metadata: {},
  };
}

export function newRefund(fields: {
  id: string;
  created: number;
  amount: number;
  currency: string;
  charge: string;
  paymentIntent: string | null;
  reason: Stripe.Refund.Reason | null;
  metadata: Record<string, string>;
  balanceTransaction: string;
  transferReversal: string | null;
  paymentMethod: string | null;
}): Stripe.Refund {
  return {
    id: fields.id,
    object: 'refund',
    amount: fields.amount,
    balance_transaction: fields.balanceTransaction,
    charge: fields.charge,
    created: fields.created,
    currency: fields.currency,
    customer: null,
    customer_account: null,
    metadata: fields.metadata,
    payment_intent: fields.paymentIntent,
    payment_method: fields.paymentMethod,
    reason: fields.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: fields.transferReversal,
  };
}

export function newCheckoutSession(fields: {
  id: string;
  created: number;
  expiresAt: number;
  currency: string;
  amountTotal: number;
  successUrl: string | null;
  cancelUrl: string | null;
  clientReferenceId: string | null;
  customerEmail: string | null;
  metadata: Record<string, string>;
  url: string;
}): Stripe.Checkout.Session {
  return {
    id: fields.id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: fields.amountTotal,
    amount_total: fields.amountTotal,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: fields.cancelUrl,
    client_reference_id: fields.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: fields.created,
    currency: fields.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: null,
    customer_account: null,
    customer_creation: 'if_required',
    customer_details: null,
    customer_email: fields.customerEmail,
    discounts: [],
    expires_at: fields.expiresAt,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: fields.metadata,
    mode: 'payment',
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'if_required',
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: fields.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: fields.url,
    wallet_options: null,
  };
}
