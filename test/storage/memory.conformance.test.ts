import { describe, it } from 'vitest';
import { memoryStorage } from '../../src/index.js';
import { runStorageConformance } from '../../src/testing/index.js';

runStorageConformance({ name: 'memoryStorage', describe, it, create: () => memoryStorage(), transactions: false });
