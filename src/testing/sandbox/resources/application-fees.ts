import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { list } from '../core/list.js';
import { EXPAND, LIST, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { meta, mergeMetadata } from '../core/util.js';
import { invalidRequest, noSuch } from '../errors.js';
import { newFeeRefund } from '../objects.js';
import type { Params, SpecObject } from '../params.js';
import { displayAmount, partialAmount } from '../rules/money.js';

/** Application fees, owned by the platform that collects them. */
export const FEES = defineStore<Stripe.ApplicationFee>('application_fees');

/**
 * Returns `amount` of an application fee to the account that paid it (`fee.account`) and emits
 * `application_fee.refunded`. Source: https://docs.stripe.com/api/fee_refunds ("Funds will be refunded to the Stripe
 * account from which the fee was originally collected").
 */
export function refundFee(
  core: SandboxCore,
  fee: Stripe.ApplicationFee,
  amount: number,
  metadata: Record<string, string> = {},
): Stripe.FeeRefund {
  const feeRefundId = core.id('fr');
  const entry = {
    currency: fee.currency,
    type: 'application_fee_refund',
    reportingCategory: 'platform_earning_refund',
    source: feeRefundId,
  } as const;
  const platformTxn = core.ledger.record({ ...entry, account: core.platformId, amount: -amount });
  core.ledger.record({ ...entry, account: fee.account as string, amount });
  const feeRefund = newFeeRefund({
    id: feeRefundId,
    created: core.nowSeconds(),
    amount,
    currency: fee.currency,
    fee: fee.id,
    balanceTransaction: platformTxn.id,
  });
  feeRefund.metadata = metadata;
  const previous = { amount_refunded: fee.amount_refunded, refunded: fee.refunded };
  fee.amount_refunded += amount;
  fee.refunded = fee.amount_refunded === fee.amount;
  fee.refunds.data.unshift(feeRefund);
  core.emit('application_fee.refunded', fee, core.platformId, previous);
  return feeRefund;
}

/** `POST /v1/application_fees/:id/refunds`: refunds all that is left of the fee, or `amount` of it. */
function createFeeRefund(core: SandboxCore, id: string, p: Params, requester: string): Stripe.FeeRefund {
  const fee = core.state(FEES).owned(id, requester, 'application fee', 'id').obj;
  const left = fee.amount - fee.amount_refunded;
  if (left === 0) throw invalidRequest(`Application fee ${id} has already been refunded.`, { code: 'charge_already_refunded' });
  const amount = partialAmount(
    p.amount,
    left,
    (a) =>
      `Refund amount (${displayAmount(a, fee.currency)}) is greater than the amount left on the application fee (${displayAmount(left, fee.currency)}).`,
  );
  return refundFee(core, fee, amount, meta(p.metadata));
}

function feeRefund(core: SandboxCore, feeId: string, refundId: string, requester: string): Stripe.FeeRefund {
  const fee = core.state(FEES).owned(feeId, requester, 'application fee', 'id').obj;
  const found = fee.refunds.data.find((r) => r.id === refundId);
  if (!found) throw noSuch('fee refund', refundId);
  return found;
}

const FEE_REFUND_CREATE: SpecObject = { ...EXPAND, amount: 'integer', metadata: 'metadata' };

export const applicationFees: ResourceModule = {
  name: 'application fees',
  objects: [FEES],
  routes: [
    listRoute(FEES, '/v1/application_fees', { charge: 'string' }),
    retrieveRoute(FEES, '/v1/application_fees', 'application fee', 'id'),
    {
      method: 'POST',
      path: '/v1/application_fees/:id/refunds',
      params: FEE_REFUND_CREATE,
      handler: (core, { path, params, account }) => createFeeRefund(core, path.id as string, params, account),
    },
    {
      method: 'GET',
      path: '/v1/application_fees/:id/refunds',
      params: LIST,
      handler: (core, { path, params, account }) => {
        const fee = core.state(FEES).owned(path.id as string, account, 'application fee', 'id').obj;
        return list([...fee.refunds.data].reverse(), params, `/v1/application_fees/${fee.id}/refunds`);
      },
    },
    {
      method: 'GET',
      path: '/v1/application_fees/:fee/refunds/:id',
      params: EXPAND,
      handler: (core, { path, account }) => feeRefund(core, path.fee as string, path.id as string, account),
    },
    {
      method: 'POST',
      path: '/v1/application_fees/:fee/refunds/:id',
      params: { ...EXPAND, metadata: 'metadata' },
      handler: (core, { path, params, account }) => {
        const refund = feeRefund(core, path.fee as string, path.id as string, account);
        if (params.metadata !== undefined) {
          const previous = { metadata: refund.metadata };
          refund.metadata = mergeMetadata(refund.metadata ?? {}, params.metadata);
          core.emit('application_fee.refund.updated', refund, core.platformId, previous);
        }
        return refund;
      },
    },
  ],
};
