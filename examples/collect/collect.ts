/**
 * The seed's collect command, for real: fetch every book of a barcode list from a (simulated)
 * remote, retrying transient failures, and keep a process summary of it all. Ctrl-C stops it
 * cleanly (the summary records the interruption); running it again resumes where it stopped.
 *
 *   node --import tsx collect/collect.ts --run harvard_2024 [--root runs] [--count 10000]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProcessSummary, saveProcessSummary } from '@process-summary/recovery';
import { numberOption, parse } from '../lib/args.js';
import { hashOf, seededRandom } from '../lib/random.js';

const usage = `collect: fetch books by barcode and track it with a process summary

Options:
  --run NAME              run name (default demo)
  --root DIR              where summaries live (default runs)
  --barcodes FILE         barcode list, one per line (generated the first time)
  --count N               barcodes to generate (default 10000)
  --latency-ms N          simulated remote latency per request (default 2)
  --concurrency N         requests in flight (default 8)
  --failure-rate P        share of books that fail for good, 0..1 (default 0.01)
  --transient-rate P      share of requests that fail once and succeed on retry (default 0.03)
  --max-failure-rate P    above this share of failures the run ends as failed (default 0.2)
  --fresh                 archive the previous summary of this run and start over
  --quiet                 no progress lines`;

const options = parse(
  {
    barcodes: { type: 'string' },
    count: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    'failure-rate': { type: 'string', default: '0.01' },
    'transient-rate': { type: 'string', default: '0.03' },
    'max-failure-rate': { type: 'string', default: '0.2' },
  },
  usage,
);
const count = numberOption('count', options.count);
const latencyMs = numberOption('latency-ms', options['latency-ms']);
const concurrency = Math.max(1, numberOption('concurrency', options.concurrency));
const failureRate = numberOption('failure-rate', options['failure-rate']);
const transientRate = numberOption('transient-rate', options['transient-rate']);
const maxFailureRate = numberOption('max-failure-rate', options['max-failure-rate']);
const here = dirname(fileURLToPath(import.meta.url));
const barcodeFile = options.barcodes ?? join(here, '..', 'data', `barcodes-${count}.txt`);

/** Harvard-style barcodes: 14 digits starting 32044, generated once and kept. */
function loadBarcodes(): string[] {
  if (!existsSync(barcodeFile)) {
    const random = seededRandom(2024);
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      lines.push(`32044${String(Math.floor(random() * 1e9)).padStart(9, '0')}`);
    }
    mkdirSync(dirname(barcodeFile), { recursive: true });
    writeFileSync(barcodeFile, `${lines.join('\n')}\n`);
  }
  return readFileSync(barcodeFile, 'utf8').split('\n').filter(Boolean);
}

class TransientError extends Error {
  override name = 'TimeoutError';
}
class NotFoundError extends Error {
  override name = 'NotFoundError';
}
class ValidationError extends Error {
  override name = 'ValidationError';
}

/** The simulated remote: each barcode fails (or not) the same way on every run. */
async function fetchBook(barcode: string, attempt: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, latencyMs * (0.5 + Math.random())));
  const h = hashOf(barcode);
  if ((h % 10_000) / 10_000 < failureRate) {
    if (h % 2 === 0) throw new NotFoundError(`Book ${barcode} not found in the catalogue`);
    throw new ValidationError(`Invalid barcode ${barcode}: checksum mismatch`);
  }
  if (attempt === 0 && ((h >>> 14) % 10_000) / 10_000 < transientRate) {
    throw new TransientError(`Timeout fetching ${barcode} after ${Math.round(latencyMs * 3)} ms`);
  }
  return 200_000 + (h % 1_800_000); // bytes of the book's archive
}

/** One book: transient failures are retried with backoff and counted as retried. */
async function collectOne(barcode: string): Promise<{ bytes: number; retried: number } | Error> {
  let retried = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return { bytes: await fetchBook(barcode, attempt), retried };
    } catch (err) {
      if (!(err instanceof TransientError) || attempt >= 3) return err as Error;
      retried += 1;
      await new Promise((resolve) => setTimeout(resolve, latencyMs * 2 ** attempt));
    }
  }
}

const barcodes = loadBarcodes();
const summary = await createProcessSummary(options.run, 'collect', {
  root: options.root,
  fresh: options.fresh,
});
summary.setItemsTotal(barcodes.length);
summary.setCustomMetric('storage_type', 'minio');
summary.setCustomMetric('bucket_name', 'grin-raw');
const say = (line: string) => {
  if (!options.quiet) console.log(line);
};

// Items are done in order and saved between batches, so the saved count is where to resume.
const start = summary.itemsProcessed;
say(
  `collect ${options.run}: ${barcodes.length} books, starting at ${start} (session ${summary.sessionCount})`,
);
try {
  for (let index = start; index < barcodes.length; index += concurrency) {
    const batch = barcodes.slice(index, index + concurrency);
    const results = await Promise.all(batch.map(collectOne));
    for (const result of results) {
      if (result instanceof Error) {
        summary.addError(result.name, result.message);
        summary.incrementItems({ processed: 1, failed: 1 });
      } else {
        summary.incrementItems({
          processed: 1,
          successful: 1,
          retried: result.retried,
          bytes: result.bytes,
        });
      }
    }
    const done = summary.itemsProcessed;
    if (
      Math.floor(done / 100) > Math.floor((done - batch.length) / 100) ||
      done === barcodes.length
    ) {
      summary.checkpoint();
      summary.setCustomMetric('books_collected', summary.itemsSuccessful);
      summary.addProgressUpdate(`Processed ${done} books`, { batch_size: 100 });
      await saveProcessSummary(summary);
      say(`  ${done}/${barcodes.length} books, ${summary.itemsFailed} failed`);
    }
  }
} finally {
  const attempted = summary.itemsSuccessful + summary.itemsFailed;
  const failedShare = attempted === 0 ? 0 : summary.itemsFailed / attempted;
  summary.setCustomMetric('books_collected', summary.itemsSuccessful);
  summary.endProcess({ outcome: failedShare > maxFailureRate ? 'failed' : 'completed' });
  await saveProcessSummary(summary);
  say(
    `collect ${options.run}: ${summary.status}, ${summary.itemsSuccessful} collected, ${summary.itemsFailed} failed`,
  );
}
process.exitCode = summary.status === 'completed' ? 0 : 1;
