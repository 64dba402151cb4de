/**
 * The model's hot paths against the naive way, side by side in one process.
 * - incrementItems against a bare class method adding to five fields (target <= 2x).
 * - addProgressUpdate / addError per call, against a seed-like unbounded list / dict.
 * - getSummaryDict + JSON.stringify after 0, 10,000 and 1,000,000 progress updates: flat.
 */
import { strict as assert } from 'node:assert';
import { compareSync, measureSync, type Row, writeReport } from '@process-summary/bench-kit';
import { createManualClock, type ItemCounts, ProcessSummary } from '../src/index.js';

class BareCounters {
  processed = 0;
  successful = 0;
  failed = 0;
  retried = 0;
  bytes = 0;
  increment(c: ItemCounts): void {
    this.processed += c.processed ?? 0;
    this.successful += c.successful ?? 0;
    this.failed += c.failed ?? 0;
    this.retried += c.retried ?? 0;
    this.bytes += c.bytes ?? 0;
  }
}

/** The seed's way: every update appended to one list that is serialized whole on each save. */
class SeedLike {
  updates: Record<string, unknown>[] = [];
  errorTypes: Record<string, number> = {};
  lastError: string | null = null;
  constructor(readonly clock: { now(): number }) {}
  addProgressUpdate(message: string, extra: Record<string, unknown>): void {
    const now = this.clock.now();
    this.updates.push({
      timestamp: now,
      elapsed_seconds: now,
      message,
      items_processed: 0,
      ...extra,
    });
  }
  addError(type: string, message: string): void {
    this.errorTypes[type] = (this.errorTypes[type] ?? 0) + 1;
    this.lastError = message;
  }
}

function summaryWith(updates: number): ProcessSummary {
  const clock = createManualClock();
  const summary = new ProcessSummary({ runName: 'bench', processName: 'collect', clock });
  summary.startProcess({ host: 'bench', pid: 1 });
  summary.setItemsTotal(10_000_000);
  for (let i = 0; i < updates; i++) {
    clock.advance(0.01);
    summary.incrementItems({ processed: 100, successful: 99, failed: 1 });
    summary.addProgressUpdate(`Processed ${i * 100} books`, { batch_size: 100 });
    if (i % 1000 === 0) summary.takeEvents();
  }
  summary.takeEvents();
  return summary;
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const counts = { processed: 10, successful: 9, failed: 1, retried: 0, bytes: 4096 };

  const summary = new ProcessSummary({ runName: 'bench', processName: 'collect' });
  const bare = new BareCounters();
  // Each contender warms up until it holds still, so the two are called a different number of
  // times: the same work is checked per call.
  const calls = { candidate: 0, baseline: 0 };
  rows.push(
    compareSync({
      name: 'incrementItems',
      candidate: () => {
        calls.candidate += 1;
        summary.incrementItems(counts);
      },
      baseline: () => {
        calls.baseline += 1;
        bare.increment(counts);
      },
      baselineName: 'bare class adding five fields',
      batch: 100_000,
      rounds: 100,
      target: { maxRatio: 2 },
    }),
  );
  // Both did the same work on every call.
  assert.equal(summary.itemsProcessed, calls.candidate * counts.processed);
  assert.equal(bare.processed, calls.baseline * counts.processed);
  assert.equal(summary.bytesProcessed, calls.candidate * counts.bytes);
  assert.equal(bare.bytes, calls.baseline * counts.bytes);

  const clock = createManualClock();
  const progress = new ProcessSummary({ runName: 'bench', processName: 'collect', clock });
  const seedLike = new SeedLike(clock);
  let n = 0;
  const updates = { candidate: 0, baseline: 0 };
  const errors = { candidate: 0, baseline: 0 };
  rows.push(
    compareSync({
      name: 'addProgressUpdate',
      candidate: () => {
        progress.addProgressUpdate('Processing batch', { batch_size: 10 });
        updates.candidate += 1;
        if (++n % 10_000 === 0) progress.takeEvents(); // a store drains the journal on save
      },
      baseline: () => {
        updates.baseline += 1;
        seedLike.addProgressUpdate('Processing batch', { batch_size: 10 });
      },
      baselineName: 'seed-like unbounded list',
      batch: 1_000,
      rounds: 100,
    }),
  );
  assert.equal(progress.progressUpdatesCount, updates.candidate);
  assert.equal(seedLike.updates.length, updates.baseline);
  rows.push(
    compareSync({
      name: 'addError',
      candidate: () => {
        progress.addError('NetworkError', 'Connection timeout');
        errors.candidate += 1;
        if (++n % 10_000 === 0) progress.takeEvents();
      },
      baseline: () => {
        errors.baseline += 1;
        seedLike.addError('NetworkError', 'Connection timeout');
      },
      baselineName: 'seed-like dict count',
      batch: 1_000,
      rounds: 100,
    }),
  );
  assert.equal(progress.errorTypes.NetworkError, errors.candidate);
  assert.equal(seedLike.errorTypes.NetworkError, errors.baseline);

  const serialize = (s: ProcessSummary) => JSON.stringify(s.getSummaryDict());
  const [s0, s10k, s1m] = [0, 10_000, 1_000_000].map(summaryWith) as [
    ProcessSummary,
    ProcessSummary,
    ProcessSummary,
  ];
  const kb = (s: ProcessSummary) => `${(Buffer.byteLength(serialize(s)) / 1024).toFixed(1)} KB`;
  const flat = compareSync({
    name: 'getSummaryDict + JSON.stringify after 1,000,000 updates',
    candidate: () => serialize(s1m),
    baseline: () => serialize(s10k),
    baselineName: 'the same after 10,000 updates',
    batch: 20,
    rounds: 200,
    target: { maxRatio: 1.2 },
    // The same function on other data, samples of milliseconds: taken in turns, so that the
    // machine's drift during a block does not fall on one side (a block once ran at 1.79x).
    interleave: true,
  });
  flat.note = `${kb(s1m)} vs ${kb(s10k)}`;
  const filling = compareSync({
    name: 'getSummaryDict + JSON.stringify after 10,000 updates',
    candidate: () => serialize(s10k),
    baseline: () => serialize(s0),
    baselineName: 'the same after 0 updates (retention not yet full)',
    batch: 20,
    rounds: 200,
  });
  filling.note = `${kb(s10k)} vs ${kb(s0)}`;
  rows.push(flat, filling);
  // Same number of kept updates; only longer numbers in the messages differ.
  assert.ok(Buffer.byteLength(serialize(s1m)) < Buffer.byteLength(serialize(s10k)) * 1.1);

  const naive = new SeedLike(createManualClock());
  for (let i = 0; i < 10_000; i++)
    naive.addProgressUpdate(`Processed ${i * 100} books`, { batch_size: 100 });
  const naiveRow = measureSync(
    'seed-like JSON.stringify after 10,000 updates',
    () => JSON.stringify(naive.updates),
    5,
    40,
  );
  naiveRow.note = `${(Buffer.byteLength(JSON.stringify(naive.updates)) / 1024).toFixed(1)} KB, grows with every update`;
  rows.push(naiveRow);

  // A save with a large custom metric (~500 KB of JSON): what the store serializes against
  // JSON.stringify of the same, prebuilt dictionary; and the public getSummaryDict, which deep
  // copies the metrics (what every save paid before summaryDictForWrite).
  const big = summaryWith(100);
  big.setCustomMetric(
    'rows',
    Array.from({ length: 2_300 }, (_, i) => ({
      id: `book-${i}`,
      title: `A title of book number ${i}`,
      pages: i % 700,
      tags: ['scan', 'ocr', `shelf-${i % 40}`],
      ok: i % 3 !== 0,
    })),
  );
  const prebuilt = big.getSummaryDict();
  const asSaved = () => JSON.stringify(big.summaryDictForWrite(), null, 2);
  assert.equal(asSaved(), JSON.stringify(prebuilt, null, 2));
  const bigKb = `${(Buffer.byteLength(asSaved()) / 1024).toFixed(0)} KB`;
  const forWrite = compareSync({
    name: 'serialization of a save with a large custom metric',
    candidate: asSaved,
    baseline: () => JSON.stringify(prebuilt, null, 2),
    baselineName: 'JSON.stringify of the same dictionary, prebuilt',
    batch: 2,
    rounds: 100,
    target: { maxRatio: 1.2 },
  });
  forWrite.note = `${bigKb}; the dictionary shares the custom metrics (no deep copy)`;
  const copying = compareSync({
    name: 'getSummaryDict + JSON.stringify with a large custom metric',
    candidate: () => JSON.stringify(big.getSummaryDict(), null, 2),
    baseline: () => JSON.stringify(prebuilt, null, 2),
    baselineName: 'JSON.stringify of the same dictionary, prebuilt',
    batch: 2,
    rounds: 100,
  });
  copying.note = `${bigKb}; informational: the public dictionary deep-copies the metrics (every save did before)`;
  rows.push(forWrite, copying);

  writeReport({ topic: 'model', package: '@process-summary/core', rows });
}
