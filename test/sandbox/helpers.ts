import type Stripe from 'stripe';
import { createSandbox, type SandboxOptions, type StripeSandbox } from '../../src/testing/index.js';

export const EXPRESS = {
  stripe_dashboard: { type: 'express' },
  fees: { payer: 'application' },
  losses: { payments: 'application' },
  requirement_collection: 'stripe',
} as const;

/** The platform events of a paid destination charge with an application fee, in the order Stripe's objects change. */
export const DESTINATION_CHARGE_EVENTS = [
  'payment_intent.created',
  'charge.succeeded',
  'payment_intent.succeeded',
  'transfer.created',
  'application_fee.created',
];

export function setup(options: SandboxOptions = {}): { sandbox: StripeSandbox; stripe: Stripe } {
  const sandbox = createSandbox({ webhooks: { autoDeliver: false }, ...options });
  return { sandbox, stripe: sandbox.stripe() };
}

/** An Express-like connected account that has finished onboarding (transfers active). */
export async function readyAccount(
  sandbox: StripeSandbox,
  stripe: Stripe,
  metadata: Record<string, string> = {},
): Promise<string> {
  const account = await stripe.accounts.create({
    controller: EXPRESS,
    country: 'GB',
    email: 'driver@example.com',
    capabilities: { transfers: { requested: true } },
    metadata,
  });
  sandbox.completeOnboarding(account.id);
  return account.id;
}

/** A paid destination charge of `amount` with `fee`, confirmed with pm_card_visa. */
export async function paidIntent(
  stripe: Stripe,
  destination: string,
  amount = 2000,
  fee = 240,
  currency = 'gbp',
): Promise<Stripe.PaymentIntent> {
  const intent = await stripe.paymentIntents.create({
    amount,
    currency,
    application_fee_amount: fee,
    transfer_data: { destination },
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  });
  return stripe.paymentIntents.confirm(intent.id, { payment_method: 'pm_card_visa' });
}

/** Captures the raw Stripe error a call rejects with. */
export async function stripeError(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await call;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}

export function balanceOf(sandbox: StripeSandbox, account: string, currency = 'gbp'): number {
  return sandbox.balances().find((b) => b.account === account && b.currency === currency)?.available ?? 0;
}
