/** The file a save writes is the public summary dictionary, though the save skips its copy of the custom metrics. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore, silentLogger } from '../src/index.js';

const test = suite('serialization of a save');

test('the written file equals the public dictionary; changing that dictionary changes no later save', async () => {
  const root = mkdtempSync(join(tmpdir(), 'store-fs-serialize-'));
  try {
    const store = new FileSummaryStore({ root, logger: silentLogger });
    const summary = new ProcessSummary({
      runName: 'r',
      processName: 'p',
      clock: createManualClock(1_750_000_000),
    });
    summary.startProcess({ host: 'h', pid: 1 });
    summary.setCustomMetric('rows', { list: Array.from({ length: 500 }, (_, i) => ({ i })) });
    await store.save(summary);
    const path = store.pathFor('r', 'p');
    const publicDict = summary.getSummaryDict();
    assert.is(readFileSync(path, 'utf8'), `${JSON.stringify(publicDict, null, 2)}\n`);
    (publicDict.custom_metrics.rows as { list: unknown[] }).list.length = 0;
    publicDict.custom_metrics.extra = true;
    await store.save(summary);
    const written = JSON.parse(readFileSync(path, 'utf8'));
    assert.is(written.custom_metrics.rows.list.length, 500);
    assert.not.ok('extra' in written.custom_metrics);
    assert.is(readFileSync(path, 'utf8'), `${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
