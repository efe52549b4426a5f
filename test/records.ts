import { envelope, ORDER, VENDOR, type OrderRecord, type VendorRecord } from '../src/core/records.js';
import type { MarketplaceStorage } from '../src/storage/types.js';

/** Stores a vendor as the library would (through the storage port), and returns what is stored. */
export async function seedVendor(storage: MarketplaceStorage, vendor: VendorRecord): Promise<VendorRecord> {
  return (await storage.insert(envelope(VENDOR, vendor))).record.data as VendorRecord;
}

/** Stores an order as the library would (through the storage port), and returns what is stored. */
export async function seedOrder(storage: MarketplaceStorage, order: OrderRecord): Promise<OrderRecord> {
  return (await storage.insert(envelope(ORDER, order))).record.data as OrderRecord;
}

/** The stored order, or null. */
export async function storedOrder(storage: MarketplaceStorage, orderId: string): Promise<OrderRecord | null> {
  return ((await storage.get(ORDER.kind, orderId))?.data as OrderRecord | undefined) ?? null;
}

/** The stored vendor, or null. */
export async function storedVendor(storage: MarketplaceStorage, vendorId: string): Promise<VendorRecord | null> {
  return ((await storage.get(VENDOR.kind, vendorId))?.data as VendorRecord | undefined) ?? null;
}

/** The stored record a Stripe id resolves to (its data), or null. */
export async function resolved<T = unknown>(storage: MarketplaceStorage, stripeId: string): Promise<T | null> {
  return ((await storage.resolve(stripeId))?.data as T | undefined) ?? null;
}
