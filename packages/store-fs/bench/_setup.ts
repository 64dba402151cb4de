import { mkdtempSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';

/** A scratch directory under the OS temp dir, removed at exit. */
export function scratchDir(topic: string): string {
  const dir = mkdtempSync(join(tmpdir(), `store-fs-bench-${topic}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A typical summary of about 5 KB as written: a dozen progress updates, a few error types,
 * custom metrics. Its clock stands still, so every serialization is byte-identical and the
 * contenders' files can be compared.
 */
export function typicalSummary(runName = 'bench', processName = 'collect'): ProcessSummary {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName, processName, clock });
  summary.startProcess({ host: 'bench-host', pid: 1 });
  summary.setItemsTotal(120_000);
  for (let i = 1; i <= 12; i++) {
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

/** The bytes FileSummaryStore writes for `summary`. */
export function fileBytes(summary: ProcessSummary): Buffer {
  return Buffer.from(`${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`, 'utf8');
}

let counter = 0;

/**
 * The bare durable protocol, inline: exclusive temp file, write, fsync, rename, fsync of the
 * directory. The floor a durable save cannot go below.
 */
export async function bareDurableWrite(path: string, data: Buffer): Promise<void> {
  counter += 1;
  const temp = join(dirname(path), `.bare.${process.pid}.${counter}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    const { bytesWritten } = await handle.write(data, 0, data.length, 0);
    if (bytesWritten !== data.length) throw new Error('short write');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
