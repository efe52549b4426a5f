import type Stripe from 'stripe';
import type { SandboxCore } from '../core/core.js';
import { EXPAND, listRoute, retrieveRoute, type ResourceModule } from '../core/routes.js';
import { defineStore } from '../core/store.js';
import { mergeMetadata, meta, str } from '../core/util.js';
import type { Params, SpecObject } from '../params.js';

/** Products (https://docs.stripe.com/api/products). */
export const PRODUCTS = defineStore<Stripe.Product>('products');

export function createProduct(core: SandboxCore, p: Params, account: string): Stripe.Product {
  const now = core.nowSeconds();
  const product = {
    id: str(p.id) ?? core.id('prod'),
    object: 'product',
    active: p.active !== false,
    created: now,
    default_price: null,
    description: str(p.description),
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: meta(p.metadata),
    name: p.name as string,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    unit_label: null,
    updated: now,
    url: null,
  } as unknown as Stripe.Product;
  core.state(PRODUCTS).set(product.id, account, product);
  core.emit('product.created', product, account);
  return product;
}

function updateProduct(core: SandboxCore, id: string, p: Params, account: string): Stripe.Product {
  const product = core.state(PRODUCTS).owned(id, account, 'product', 'id').obj;
  const previous: Record<string, unknown> = {};
  if (typeof p.name === 'string') [previous.name, product.name] = [product.name, p.name];
  if (p.description !== undefined) [previous.description, product.description] = [product.description, str(p.description)];
  if (typeof p.active === 'boolean') [previous.active, product.active] = [product.active, p.active];
  if (p.metadata !== undefined)
    [previous.metadata, product.metadata] = [product.metadata, mergeMetadata(product.metadata, p.metadata)];
  product.updated = core.nowSeconds();
  core.emit('product.updated', product, account, previous);
  return product;
}

const PRODUCT_FIELDS: SpecObject = { ...EXPAND, description: 'string', active: 'boolean', metadata: 'metadata' };

export const products: ResourceModule = {
  name: 'products',
  objects: [PRODUCTS],
  routes: [
    {
      method: 'POST',
      path: '/v1/products',
      params: { ...PRODUCT_FIELDS, name: 'string!', id: 'string' },
      handler: (core, { params, account }) => createProduct(core, params, account),
    },
    listRoute(PRODUCTS, '/v1/products', { active: 'boolean' }),
    retrieveRoute(PRODUCTS, '/v1/products', 'product', 'id'),
    {
      method: 'POST',
      path: '/v1/products/:id',
      params: { ...PRODUCT_FIELDS, name: 'string' },
      handler: (core, { path, params, account }) => updateProduct(core, path.id as string, params, account),
    },
  ],
};
