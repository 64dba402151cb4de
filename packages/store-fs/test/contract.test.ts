import { runStoreContract } from '@process-summary/store-contract';
import { FileSummaryStore } from '../src/index.js';
import { readAllEvents, recordingLogger, removeDir, tempDir } from './_helpers.js';

runStoreContract('FileSummaryStore', async () => {
  const dir = await tempDir('store-fs-contract-');
  const store = new FileSummaryStore({ root: `${dir}/runs`, logger: recordingLogger() });
  return {
    store,
    readEvents: (runName, processName) => readAllEvents(store, runName, processName),
    cleanup: () => removeDir(dir),
  };
});
