import { memoryStorage } from '../../src/storage/memory.js';

/** Storage for one process of the multi-process part: memory, so nothing is shared between processes. */
export const createStorage = () => memoryStorage();
