/**
 * The dictionary a store serializes shares the summary's custom metrics (no deep copy per
 * save); what callers get (`getSummaryDict`, `customMetrics`) stays a copy they may change.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemorySummaryStore, type ProcessSummary, summaryDictToWrite } from '../src/index.js';
import { fresh } from './_helpers.js';

const test = suite('summaryDictForWrite');

function withMetrics() {
  const { summary } = fresh();
  summary.startProcess({ host: 'h', pid: 1 });
  summary.setCustomMetric('books', { collected: 1200, shelves: [{ id: 'a', n: 3 }] });
  summary.setCustomMetric('__proto__', { odd: true });
  return summary;
}

test('serializes to the same JSON as getSummaryDict', () => {
  const summary = withMetrics();
  assert.is(
    JSON.stringify(summary.summaryDictForWrite()),
    JSON.stringify(summary.getSummaryDict()),
  );
});

test('changing the public dictionary or customMetrics changes neither the summary nor what is written', () => {
  const summary = withMetrics();
  const before = JSON.stringify(summary.summaryDictForWrite());
  const dict = summary.getSummaryDict();
  const books = dict.custom_metrics.books as { collected: number; shelves: { n: number }[] };
  books.collected = -1;
  (books.shelves[0] as { n: number }).n = 99;
  dict.custom_metrics.added = 'x';
  const metrics = summary.customMetrics;
  (metrics.books as { collected: number }).collected = -2;
  delete metrics.books;
  assert.is(JSON.stringify(summary.summaryDictForWrite()), before);
  assert.equal(summary.getSummaryDict().custom_metrics.books, {
    collected: 1200,
    shelves: [{ id: 'a', n: 3 }],
  });
});

test('a store stamping owner_epoch on the write dictionary leaves the summary alone', async () => {
  const summary = withMetrics();
  const store = new MemorySummaryStore();
  const ref = { runName: summary.runName, processName: summary.processName, worker: null };
  const { lease } = await store.acquire(ref);
  const expected = JSON.stringify(summary.getSummaryDict());
  await store.save(summary, lease);
  assert.is(JSON.stringify(summary.getSummaryDict()), expected);
  assert.not.ok('owner_epoch' in summary.summaryDictForWrite().custom_metrics);
  const read = await store.read(ref);
  assert.equal(read?.dict.custom_metrics, summary.getSummaryDict().custom_metrics);
});

test('summaryDictToWrite shares the metrics, and copies them for a summary without the method', () => {
  const summary = withMetrics();
  const shared = summaryDictToWrite(summary);
  assert.is(shared.custom_metrics, summaryDictToWrite(summary).custom_metrics);
  // A summary of an older installed copy of core: only getSummaryDict.
  const older = {
    getSummaryDict: () => summary.getSummaryDict(),
  } as unknown as ProcessSummary;
  const copied = summaryDictToWrite(older);
  assert.equal(JSON.stringify(copied), JSON.stringify(shared));
  assert.is.not(copied.custom_metrics, summaryDictToWrite(older).custom_metrics);
});

test.run();
