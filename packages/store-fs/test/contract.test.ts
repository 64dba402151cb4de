import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runStoreContract } from '@process-summary/store-contract';
import { FileSummaryStore } from '../src/index.js';
import { recordingLogger, removeDir, tempDir } from './_helpers.js';
import { makeOwnerGone } from './_owner-gone.js';

runStoreContract('FileSummaryStore', async () => {
  const dir = await tempDir('store-fs-contract-');
  // A fresh, empty store: its root exists (a missing root is reported by `list` as a problem).
  const root = join(dir, 'runs');
  await mkdir(root);
  const store = new FileSummaryStore({ root, logger: recordingLogger() });
  return {
    store,
    makeOwnerGone: (lease) => makeOwnerGone(store, lease),
    corrupt: async (ref) => {
      await writeFile(store.pathFor(ref.runName, ref.processName, ref.worker), '{"truncated": ');
    },
    cleanup: () => removeDir(dir),
  };
});
