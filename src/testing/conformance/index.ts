export { runStorageConformance } from './suite.js';
export type { StorageConformanceOptions, ConformanceRunner } from './suite.js';
export { ConformanceError } from './assert.js';
