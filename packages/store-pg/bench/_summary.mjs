// The summary every store-pg bench saves; plain JavaScript, shared by the TypeScript benches
// and the worker processes (_worker.mjs).
import { createManualClock, ProcessSummary } from '@process-summary/core';

/**
 * A typical summary of about 5 KB as a pipeline saves it (store-fs's bench shape, longer):
 * twenty progress updates, a few error types, custom metrics: 5.1 KB of compact JSON. Its
 * clock stands still, so every serialization of the same state is the same text.
 *
 * @param {string} [runName]
 * @param {string} [processName]
 * @param {string | null} [worker]
 * @returns {ProcessSummary}
 */
export function typicalSummary(runName = 'bench', processName = 'collect', worker = null) {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName, processName, worker, clock });
  summary.startProcess({ host: 'bench-host', pid: 1 });
  summary.setItemsTotal(120_000);
  for (let i = 1; i <= 20; i++) {
    clock.advance(1);
    summary.incrementItems({ processed: 100, successful: 97, failed: 3, bytes: 1_048_576 });
    summary.addProgressUpdate(`Processing batch ${i}`, { batch_size: 100, shard: `s-${i % 4}` });
    if (i % 3 === 0) summary.addError(`Error${i % 4}`, `Connection timeout on shard s-${i % 4}`);
  }
  summary.setCustomMetric('storage_type', 'minio');
  summary.setCustomMetric('bucket_name', 'grin-raw');
  summary.setCustomMetric('books', { collected: 1200, skipped: 4 });
  summary.takeEvents();
  return summary;
}
