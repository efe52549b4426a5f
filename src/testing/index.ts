export { runStorageConformance, ConformanceError } from './conformance/index.js';
export type { StorageConformanceOptions, ConformanceRunner } from './conformance/index.js';
