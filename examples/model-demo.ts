/**
 * A tour of the model (@process-summary/core) on a simulated collect job: counters, errors
 * grouped by type, bounded progress history, ETA, and a file written by the Python original.
 * Runs in about a second; no file is written.
 */
import { fileURLToPath } from 'node:url';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore } from '@process-summary/store-fs';

const clock = createManualClock(Date.now() / 1000); // simulated time: the demo needs no sleeps
const summary = new ProcessSummary({ runName: 'harvard_2024', processName: 'collect', clock });
summary.startProcess({ host: 'demo-host', pid: process.pid });
summary.setItemsTotal(120_000);
summary.setCustomMetric('storage_type', 'minio');
summary.setCustomMetric('bucket_name', 'grin-raw');

const failures = [
  ['NetworkError', 'Connection timeout'],
  ['NetworkError', 'Connection reset by peer'],
  ['ValidationError', 'Invalid barcode'],
] as const;

for (let item = 1; item <= 50_000; item++) {
  clock.advance(0.004); // 250 items/s
  if (item % 997 === 0) {
    const [type, message] = failures[item % failures.length] as (typeof failures)[number];
    summary.addError(type, `${message} (${32044000000000 + item})`);
    summary.incrementItems({ processed: 1, failed: 1 });
  } else {
    summary.incrementItems({ processed: 1, successful: 1, bytes: 20_971 });
  }
  if (item % 100 === 0) {
    summary.checkpoint();
    summary.addProgressUpdate(`Processed ${item} books`, { batch_size: 100 });
  }
}
summary.setCustomMetric('books_collected', summary.itemsSuccessful);

const d = summary.getSummaryDict();
const line = (label: string, value: unknown) => console.log(`  ${label.padEnd(26)} ${value}`);
console.log('\nA collect job, 50,000 of 120,000 items in (simulated):\n');
line('status', d.status);
line('processed / ok / failed', `${d.items_processed} / ${d.items_successful} / ${d.items_failed}`);
line('success rate', `${d.success_rate_percent} %`);
line('rate (current session)', `${d.current_rate_per_second} items/s`);
line('ETA', `${Math.round((d.eta_seconds ?? 0) / 60)} min`);
line('errors', `${d.error_count} in ${Object.keys(d.error_types).length} types`);
for (const [type, detail] of Object.entries(d.error_details)) {
  line(`  ${type}`, `${detail.count}×, e.g. "${detail.samples[0]}"`);
}
line(
  'progress updates',
  `${d.progress_updates_count} added, ${d.progress_updates.length} kept in the file`,
);
line(
  'file size',
  `${(JSON.stringify(d).length / 1024).toFixed(1)} KB (bounded however long the run)`,
);

// The runs the Python original wrote, read through a file store like any other (nothing written).
const seedRuns = new FileSummaryStore({
  root: fileURLToPath(new URL('../fixtures/seed-format/runs', import.meta.url)),
});
try {
  const read = await seedRuns.read({ runName: 'harvard_2024', processName: 'collect' });
  if (read?.dict == null) throw new Error(read?.problem?.message ?? 'no summary');
  const seed = ProcessSummary.fromDict(read.dict);
  console.log('\nA file written by the Python original loads as is:\n');
  line('status', seed.status);
  line('processed', seed.itemsProcessed);
  line('success rate', `${seed.successRatePercent} %`);
  line('errors', JSON.stringify(seed.errorTypes));
} catch (err) {
  console.log(`\n(seed fixture not available: ${(err as Error).message})`);
}

summary.endProcess();
console.log(
  `\nDone: ${summary.status} after ${summary.durationSeconds?.toFixed(0)} simulated seconds.\n`,
);
