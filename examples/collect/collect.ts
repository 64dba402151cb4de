/**
 * The seed's collect command, for real: fetch every book of a barcode list from a (simulated)
 * remote, retrying transient failures, and keep a process summary of it all. Ctrl-C stops it
 * cleanly (the summary records the interruption); running it again resumes where it stopped.
 *
 * With `--worker N --workers M` it is one worker of M (see shard/shard.ts, which starts them):
 * it takes the books whose index modulo M is N and keeps its own summary, `collect@w<N>`.
 *
 *   node --import tsx collect/collect.ts --run harvard_2024 [--root runs] [--count 10000]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessSummary } from '@process-summary/core';
import { createProcessSummary, saveProcessSummary } from '@process-summary/recovery';
import { fail, integerOption, numberOption, parse } from '../lib/args.js';
import { loadBarcodes } from '../lib/barcodes.js';
import { hashOf } from '../lib/random.js';
import { shardLabel, shareOf, workerName } from '../lib/shards.js';
import { openStore } from '../lib/store.js';

const usage = `collect: fetch books by barcode and track it with a process summary

Options:
  --run NAME              run name (default demo)
  --root DIR              where summaries live (default runs)
  --store URL             or a PostgreSQL store: postgres://user:pass@host/db[?schema=NAME]
  --barcodes FILE         barcode list, one per line (generated the first time)
  --count N               barcodes to generate (default 10000)
  --latency-ms N          simulated remote latency per request (default 2)
  --concurrency N         requests in flight (default 8)
  --failure-rate P        share of books that fail for good, 0..1 (default 0.01)
  --transient-rate P      share of requests that fail once and succeed on retry (default 0.03)
  --max-failure-rate P    above this share of failures the run ends as failed (default 0.2)
  --worker N --workers M  be worker N (0..M-1) of M: the books whose index modulo M is N,
                          tracked as collect@wN (shard/shard.ts starts all M)
  --fresh                 archive the previous summary of this run and start over
  --quiet                 no progress lines`;

const options = parse(
  {
    store: { type: 'string' },
    barcodes: { type: 'string' },
    count: { type: 'string', default: '10000' },
    'latency-ms': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    'failure-rate': { type: 'string', default: '0.01' },
    'transient-rate': { type: 'string', default: '0.03' },
    'max-failure-rate': { type: 'string', default: '0.2' },
    worker: { type: 'string' },
    workers: { type: 'string' },
  },
  usage,
);
const count = numberOption('count', options.count);
const latencyMs = numberOption('latency-ms', options['latency-ms']);
const concurrency = Math.max(1, numberOption('concurrency', options.concurrency));
const failureRate = numberOption('failure-rate', options['failure-rate']);
const transientRate = numberOption('transient-rate', options['transient-rate']);
const maxFailureRate = numberOption('max-failure-rate', options['max-failure-rate']);
const shard = shardOption(options.worker, options.workers);
const here = dirname(fileURLToPath(import.meta.url));
const barcodeFile = options.barcodes ?? join(here, '..', 'data', `barcodes-${count}.txt`);

/** `--worker N --workers M`, both or neither; null for the whole list. */
function shardOption(worker: string | undefined, workers: string | undefined) {
  if (worker === undefined && workers === undefined) return null;
  if (worker === undefined || workers === undefined) fail('--worker and --workers go together');
  const of = integerOption('workers', workers, 1);
  const n = integerOption('worker', worker, 0);
  if (n >= of) fail(`--worker must be below --workers (0..${of - 1}), got ${n}`);
  return { n, of, name: workerName(n), label: shardLabel(n, of) };
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

const barcodes =
  shard === null
    ? loadBarcodes(barcodeFile, count)
    : shareOf(loadBarcodes(barcodeFile, count), shard.n, shard.of);
const ref = { runName: options.run, processName: 'collect', worker: shard?.name ?? null };
// One value names the store, as everywhere: a directory, or postgres://… (PostgreSQL).
const storeName = options.store ?? options.root;
if (shard !== null && !options.fresh) {
  // Resuming with another split would count some books twice and others never.
  const reader = await openStore(storeName);
  const stored = (await reader.store.read(ref))?.dict?.custom_metrics.shard;
  await reader.close();
  if (stored !== undefined && stored !== shard.label) {
    fail(
      `${options.run}/collect@${shard.name} was started as worker ${String(stored)}, not ${shard.label}: use the same --workers, or --fresh to start over`,
    );
  }
}
let summary: ProcessSummary;
try {
  summary = await createProcessSummary(options.run, 'collect', {
    store: storeName,
    fresh: options.fresh,
    ...(shard === null ? {} : { worker: shard.name }),
  });
} catch (err) {
  // E_CONCURRENT_RUN (another process owns this summary) and the like: said in one line.
  const { code, message } = err as { code?: string; message: string };
  if (code === undefined) throw err;
  console.error(`collect: ${message} [${code}]`);
  process.exit(3);
}
summary.setItemsTotal(barcodes.length);
if (shard !== null) summary.setCustomMetric('shard', shard.label);
summary.setCustomMetric('storage_type', 'minio');
summary.setCustomMetric('bucket_name', 'grin-raw');
const say = (line: string) => {
  if (!options.quiet) console.log(line);
};

// Items are done in order and saved between batches, so the saved count is where to resume.
const start = summary.itemsProcessed;
const title =
  shard === null ? `collect ${options.run}` : `collect ${options.run}, worker ${shard.name}`;
say(`${title}: ${barcodes.length} books, starting at ${start} (session ${summary.sessionCount})`);
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
    `${title}: ${summary.status}, ${summary.itemsSuccessful} collected, ${summary.itemsFailed} failed`,
  );
}
process.exitCode = summary.status === 'completed' ? 0 : 1;
