import type { CardInfo } from './objects.js';
import type { DisputeKind } from './resources/disputes.js';

/** What a test payment method does when a payment is confirmed with it. */
export interface CardOutcome {
  card: CardInfo;
  /** Undefined when the payment succeeds. */
  decline?: { code: string; declineCode: string | undefined; message: string };
  /** Its funds skip the pending balance (https://docs.stripe.com/testing#available-balance). */
  bypassPending?: boolean;
  /** The dispute Stripe opens once the payment succeeds (https://docs.stripe.com/testing#disputes). */
  dispute?: DisputeKind;
}

const visa: CardInfo = { brand: 'visa', last4: '4242', funding: 'credit', country: 'US' };

function declined(last4: string, code: string, declineCode: string | undefined, message: string): CardOutcome {
  return { card: { ...visa, last4 }, decline: { code, declineCode, message } };
}

const DECLINED = 'Your card was declined.';

/**
 * Stripe's test payment methods (https://docs.stripe.com/testing), keyed without the optional `visa_` infix:
 * `pm_card_chargeDeclined` and `pm_card_visa_chargeDeclined` are the same card.
 */
const OUTCOMES: Record<string, CardOutcome> = {
  pm_card_visa: { card: visa },
  pm_card_visa_debit: { card: { ...visa, last4: '5556', funding: 'debit' } },
  pm_card_mastercard: { card: { brand: 'mastercard', last4: '4444', funding: 'credit', country: 'US' } },
  pm_card_amex: { card: { brand: 'amex', last4: '8431', funding: 'credit', country: 'US' } },
  pm_card_gb: { card: { ...visa, last4: '0000', country: 'GB' } },
  // Its funds skip the pending balance, whatever the sandbox's `settlementDelayDays`.
  pm_card_bypassPending: { card: { ...visa, last4: '0077' }, bypassPending: true },
  // Dispute test cards (https://docs.stripe.com/testing#disputes): the payment succeeds, then the dispute opens.
  pm_card_createDispute: { card: { ...visa, last4: '0259' }, dispute: 'fraudulent' },
  pm_card_createDisputeProductNotReceived: { card: { ...visa, last4: '2685' }, dispute: 'product_not_received' },
  pm_card_createDisputeInquiry: { card: { ...visa, last4: '1976' }, dispute: 'inquiry' },
  pm_card_chargeDeclined: declined('0002', 'card_declined', 'generic_decline', DECLINED),
  pm_card_chargeDeclinedInsufficientFunds: declined(
    '9995',
    'card_declined',
    'insufficient_funds',
    'Your card has insufficient funds.',
  ),
  pm_card_insufficientFunds: declined('9995', 'card_declined', 'insufficient_funds', 'Your card has insufficient funds.'),
  pm_card_chargeDeclinedLostCard: declined('9987', 'card_declined', 'lost_card', DECLINED),
  pm_card_chargeDeclinedStolenCard: declined('9979', 'card_declined', 'stolen_card', DECLINED),
  pm_card_chargeDeclinedFraudulent: declined('0019', 'card_declined', 'fraudulent', DECLINED),
  pm_card_chargeDeclinedVelocityLimitExceeded: declined('6975', 'card_declined', 'card_velocity_exceeded', DECLINED),
  pm_card_chargeDeclinedExpiredCard: declined('0069', 'expired_card', 'expired_card', 'Your card has expired.'),
  pm_card_chargeDeclinedIncorrectCvc: declined(
    '0127',
    'incorrect_cvc',
    'incorrect_cvc',
    "Your card's security code is incorrect.",
  ),
  pm_card_chargeDeclinedProcessingError: declined(
    '0119',
    'processing_error',
    'processing_error',
    'An error occurred while processing your card. Try again in a little bit.',
  ),
};

/** Test card numbers typed into the sandbox's hosted pages, and the payment method each stands for. */
export const TEST_CARD_NUMBERS: Readonly<Record<string, string>> = {
  '4242424242424242': 'pm_card_visa',
  '4000000000000077': 'pm_card_bypassPending',
  '4000056655665556': 'pm_card_visa_debit',
  '5555555555554444': 'pm_card_mastercard',
  '378282246310005': 'pm_card_amex',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000000000009987': 'pm_card_chargeDeclinedLostCard',
  '4000000000009979': 'pm_card_chargeDeclinedStolenCard',
  '4100000000000019': 'pm_card_chargeDeclinedFraudulent',
  '4000000000000069': 'pm_card_chargeDeclinedExpiredCard',
  '4000000000000127': 'pm_card_chargeDeclinedIncorrectCvc',
  '4000000000000119': 'pm_card_chargeDeclinedProcessingError',
  '4000000000000259': 'pm_card_createDispute',
  '4000000000002685': 'pm_card_createDisputeProductNotReceived',
  '4000000000001976': 'pm_card_createDisputeInquiry',
};

/** The outcome of a test payment method, or undefined when the sandbox does not know it. */
export function cardOutcome(paymentMethod: string): CardOutcome | undefined {
  const key = paymentMethod.replace(/^pm_card_visa_(?!debit$)/, 'pm_card_');
  return OUTCOMES[key] ?? OUTCOMES[paymentMethod];
}

/** Every test payment method id the sandbox knows. */
export function testPaymentMethods(): string[] {
  return Object.keys(OUTCOMES);
}
