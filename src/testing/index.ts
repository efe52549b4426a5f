export { createSandbox, StripeSandbox } from './sandbox/create.js';
export type { SandboxStripeOptions, SandboxFileOptions } from './sandbox/create.js';
export { SANDBOX_API_VERSION } from './sandbox/sandbox.js';
export type { SandboxOptions, SandboxBalance, RawRequest, RawResponse } from './sandbox/sandbox.js';
export type { SandboxServer } from './sandbox/node-server.js';
export { signPayload } from './sandbox/webhooks.js';
export type {
  WebhookHandler,
  WebhookEndpointOptions,
  WebhookEndpoint,
  WebhookDeliveryOptions,
  DeliveryAttempt,
  FlushResult,
} from './sandbox/webhooks.js';
export { testPaymentMethods, TEST_CARD_NUMBERS } from './sandbox/cards.js';
export { runStorageConformance, ConformanceError, STORAGE_CAPABILITIES } from './conformance/index.js';
export type {
  StorageConformanceOptions,
  StorageProcessOptions,
  StorageCapability,
  ConformanceRunner,
} from './conformance/index.js';
