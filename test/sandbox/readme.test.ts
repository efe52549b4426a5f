// The example of the README section "Testing with the offline sandbox", verbatim (imports point at the sources).
import { expect, it } from 'vitest';
import { Marketplace, memoryStorage, percentage } from '../../src/index.js';
import { createSandbox } from '../../src/testing/index.js';

it('pays the driver £17.60 of £20.00 and keeps £2.40', async () => {
  const sandbox = createSandbox();
  const stripe = sandbox.stripe(); // new Stripe('sk_test_sandbox', { httpClient: sandbox.httpClient })
  const market = new Marketplace({ stripe, storage: memoryStorage(), commission: percentage(12) });

  const { accountId } = await market.onboardVendor({
    vendorId: 'driver_42',
    country: 'GB',
    returnUrl: 'https://example.com/return',
    refreshUrl: 'https://example.com/refresh',
  });
  sandbox.completeOnboarding(accountId); // as if the driver finished Stripe's hosted form
  expect((await market.completeOnboarding({ vendorId: 'driver_42' })).status).toBe('active');

  const checkout = await market.createCheckout({ orderId: 'order_1', vendorId: 'driver_42', amount: 2000, currency: 'gbp' });
  await stripe.paymentIntents.confirm(checkout.paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://example.com/paid',
  });

  expect(sandbox.balances()).toEqual([
    { account: 'platform', currency: 'gbp', available: 240 },
    { account: accountId, currency: 'gbp', available: 1760 },
  ]);
  await sandbox.close();
});
