import { MemorySummaryStore } from '@process-summary/core';
import { runStoreContract } from '../src/index.js';

runStoreContract('MemorySummaryStore', async () => {
  const store = new MemorySummaryStore();
  return {
    store,
    readEvents: async (runName, processName) => store.events(runName, processName),
    cleanup: async () => {},
  };
});
