import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore, inspectSummaryFile, inspectSummaryFileSync } from '../src/index.js';
import { makeSummary, removeDir, tempDir } from './_helpers.js';

// Summary files are decoded as latin1 when they are all ASCII (a copy) and as UTF-8 otherwise:
// either way every reader gets exactly the text that was saved.
const decode = suite('decoding summary files');

const TEXTS = {
  ascii: 'Connection timeout on shard s-1',
  utf8: 'délai dépassé — 接続タイムアウト 🚫',
  // Raw UTF-8 in the file, not \u escapes: JSON.stringify leaves these characters as they are.
  escapesInFile: 'tab\there "quoted" back\\slash',
};

for (const [name, message] of Object.entries(TEXTS)) {
  decode(`${name}: read, inspection and load give back the saved text`, async () => {
    const dir = await tempDir();
    try {
      const store = new FileSummaryStore({ root: dir });
      const { summary } = makeSummary('run', 'collect');
      summary.addError('Ünïcode', message);
      summary.addProgressUpdate(message, { note: message });
      summary.setCustomMetric('label', message);
      const path = store.pathFor('run', 'collect');
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`);
      const expected = JSON.parse(JSON.stringify(summary.getSummaryDict()));
      for (const inspection of [inspectSummaryFileSync(path), await inspectSummaryFile(path)]) {
        assert.ok(inspection.ok);
        if (inspection.ok) assert.equal(inspection.dict, expected);
      }
      const read = await store.read({ runName: 'run', processName: 'collect' }, { full: false });
      assert.equal(read?.dict, expected);
      const loaded = await store.load('run', 'collect');
      assert.is(loaded?.summary.lastErrorMessage, message);
      assert.equal(loaded?.summary.customMetrics, { label: message });
      assert.is(loaded?.summary.progressUpdates.at(-1)?.message, message);
    } finally {
      await removeDir(dir);
    }
  });
}

decode.run();
