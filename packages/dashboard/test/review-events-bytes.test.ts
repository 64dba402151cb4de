/**
 * Review: `/api/runs/:run/:process/events` bounds an answer by records (`limit`, up to 5,000)
 * but not by bytes. A progress update may carry up to MAX_PROGRESS_FIELDS_BYTES (1 MiB) of
 * fields, and every journal record keeps them, so one GET with `limit=5000` can make the server
 * build (and hold two or three copies of: records, JSON string, escaped string, Buffer) a
 * multi-gigabyte answer: the writer of the store controls the size, any reader triggers it.
 * The answer should stop at a byte budget (say 4 MiB) and say `more: true`, or cut the fields.
 */
import { ProcessSummary } from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStore, startServer } from './_server.js';

/** A byte budget far above any sane page of events, far below what the store can hold. */
const BUDGET = 8 * 1024 * 1024;

test('one events answer stays within a byte budget whatever the progress fields weigh', async () => {
  const t = await fileStore();
  const ref = { runName: 'heavy', processName: 'p', worker: null };
  const summary = new ProcessSummary(ref);
  const { lease } = await t.store.acquire(ref);
  summary.startProcess();
  for (let i = 0; i < 20; i += 1) {
    summary.incrementItems({ processed: 1, successful: 1 });
    summary.addProgressUpdate(`batch ${i}`, { blob: 'x'.repeat(900_000) });
    await t.store.save(summary, lease);
  }
  await t.store.release(lease);
  const running = await startServer(t.store);
  try {
    const answer = await fetch(`${running.url}api/runs/heavy/p/events?limit=5000`);
    const bytes = (await answer.arrayBuffer()).byteLength;
    assert.is(answer.status, 200);
    assert.ok(bytes <= BUDGET, `one events answer is ${bytes} bytes (20 progress updates)`);
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
