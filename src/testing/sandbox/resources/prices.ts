import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { mergeMetadata, meta, num, str } from '../core/util.js';
import { invalidRequest, missingParam } from '../errors.js';
import type { Params, SpecObject } from '../params.js';
import { createProduct, PRODUCTS } from './products.js';

/** Prices (https://docs.stripe.com/api/prices): one-time or recurring, with an integer `unit_amount`. */
export const PRICES = defineStore<Stripe.Price>('prices');

/**
 * Stripe's longest recurring interval is one year (3 years for some, not simulated): `interval_count` is at most
 * 12 months, 52 weeks or 365 days (https://docs.stripe.com/api/prices/create#create_price-recurring-interval_count).
 */
const MAX_INTERVAL_COUNT: Record<string, number> = { day: 365, week: 52, month: 12, year: 1 };

export const RECURRING: SpecObject = {
  interval: 'enum:day|week|month|year!',
  interval_count: 'integer',
  usage_type: 'enum:licensed',
};

/**
 * Creates a price from `p` (the parameters of `prices.create`, or an item's `price_data` with `prefix` naming it in
 * errors). `product_data` creates the product; `product` must name one the account owns.
 */
export function createPrice(core: SandboxCore, p: Params, account: string, prefix = ''): Stripe.Price {
  const name = (k: string) => (prefix ? `${prefix}[${k}]` : k);
  const currency = (p.currency as string).toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: name('currency') });
  const unitAmount = num(p.unit_amount);
  if (unitAmount === null) throw missingParam(name('unit_amount'));
  if (unitAmount < 0)
    throw invalidRequest('This value must be greater than or equal to 0.', {
      param: name('unit_amount'),
      code: 'parameter_invalid_integer',
    });
  let product = str(p.product);
  const productData = p.product_data as Params | undefined;
  if (product && productData)
    throw invalidRequest('You may only specify one of these parameters: product, product_data.', { param: name('product') });
  if (product) core.state(PRODUCTS).owned(product, account, 'product', name('product'));
  else if (productData) product = createProduct(core, productData, account).id;
  else throw missingParam(name('product'));
  const recurringParams = p.recurring as Params | undefined;
  let recurring: Stripe.Price.Recurring | null = null;
  if (recurringParams) {
    const interval = recurringParams.interval as Stripe.Price.Recurring.Interval;
    const count = num(recurringParams.interval_count) ?? 1;
    if (count < 1 || count > (MAX_INTERVAL_COUNT[interval] as number))
      throw invalidRequest('Invalid recurring[interval_count]: the maximum billing period is one year.', {
        param: name('recurring[interval_count]'),
      });
    recurring = { interval, interval_count: count, meter: null, usage_type: 'licensed' } as Stripe.Price.Recurring;
  }
  const price = {
    id: core.id('price'),
    object: 'price',
    active: p.active !== false,
    billing_scheme: 'per_unit',
    created: core.nowSeconds(),
    currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: str(p.lookup_key),
    metadata: meta(p.metadata),
    nickname: str(p.nickname),
    product,
    recurring,
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
  } as unknown as Stripe.Price;
  core.state(PRICES).set(price.id, account, price);
  core.emit('price.created', price, account);
  return price;
}

function updatePrice(core: SandboxCore, id: string, p: Params, account: string): Stripe.Price {
  const price = core.state(PRICES).owned(id, account, 'price', 'id').obj;
  const previous: Record<string, unknown> = {};
  if (typeof p.active === 'boolean') [previous.active, price.active] = [price.active, p.active];
  if (p.nickname !== undefined) [previous.nickname, price.nickname] = [price.nickname, str(p.nickname)];
  if (p.metadata !== undefined) [previous.metadata, price.metadata] = [price.metadata, mergeMetadata(price.metadata, p.metadata)];
  core.emit('price.updated', price, account, previous);
  return price;
}

export const PRICE_DATA: SpecObject = {
  currency: 'string!',
  unit_amount: 'integer',
  product: 'string',
  recurring: RECURRING,
  tax_behavior: 'enum:exclusive|inclusive|unspecified',
};

export const prices: ResourceModule = {
  name: 'prices',
  objects: [PRICES],
  routes: [
    {
      method: 'POST',
      path: '/v1/prices',
      params: {
        ...EXPAND,
        ...PRICE_DATA,
        product_data: { name: 'string!', metadata: 'metadata', active: 'boolean' },
        active: 'boolean',
        nickname: 'string',
        lookup_key: 'string',
        metadata: 'metadata',
      },
      handler: (core, { params, account }) => createPrice(core, params, account),
    },
    listRoute(PRICES, '/v1/prices', { product: 'string', active: 'boolean', currency: 'string', type: 'string' }),
    retrieveRoute(PRICES, '/v1/prices', 'price', 'id'),
    {
      method: 'POST',
      path: '/v1/prices/:id',
      params: { ...EXPAND, active: 'boolean', nickname: 'string', metadata: 'metadata' },
      handler: (core, { path, params, account }) => updatePrice(core, path.id as string, params, account),
    },
  ],
};
