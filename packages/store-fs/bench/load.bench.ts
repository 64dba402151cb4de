/**
 * Load against what a user would otherwise write: `JSON.parse(readFileSync(path, 'utf8'))`
 * (the promise `readFile` reads in chunks and is slower, which would flatter load). Two files:
 * a seed-format one with 20,000 progress updates (the shape the Python seed wrote, unbounded)
 * and a current-format one whose size is a large custom metric. Load validates against the
 * schema and builds the summary; before timing, each file's load is checked to hold what the
 * bare parse holds.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareAsync, type Row, writeReport } from '@process-summary/bench-kit';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { seedFormatSummary } from './_seed-file.js';
import { scratchDir } from './_setup.js';

const BASELINE = 'readFileSync + JSON.parse';

/**
 * A current-format summary whose custom metric `histogram` is rows of ten small counts,
 * close to the 1 MiB limit of custom metrics as compact JSON, which the indented file
 * makes about 5 MB.
 */
function bigMetricSummary(rows: number): ProcessSummary {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName: 'bench', processName: 'metrics', clock });
  summary.startProcess();
  for (let i = 1; i <= 50; i++) {
    clock.advance(1);
    summary.incrementItems({ processed: 100, successful: 100 });
    summary.addProgressUpdate(`Processing batch ${i}`);
  }
  summary.setCustomMetric(
    'histogram',
    Array.from({ length: rows }, (_, r) => Array.from({ length: 10 }, (_, c) => (r + c) % 10)),
  );
  summary.endProcess();
  return summary;
}

async function compareLoad(
  store: FileSummaryStore,
  name: string,
  processName: string,
  text: string,
): Promise<Row[]> {
  const path = store.pathFor('bench', processName);
  writeFileSync(path, text);
  const loaded = await store.load('bench', processName);
  const parsed = JSON.parse(readFileSync(path, 'utf8'));
  if (loaded === null || loaded.warnings.length > 0)
    throw new Error(`${name} did not load cleanly`);
  // Steno check: load holds what the bare parse holds (counters, update count, metrics).
  const { summary } = loaded;
  deepStrictEqual(
    [
      summary.itemsProcessed,
      summary.itemsFailed,
      summary.progressUpdatesCount,
      summary.errorCount,
      summary.customMetrics,
    ],
    [
      parsed.items_processed,
      parsed.items_failed,
      parsed.progress_updates_count,
      parsed.error_count,
      parsed.custom_metrics,
    ],
    `${name}: load and the bare parse differ`,
  );
  const rows = await compareAsync({
    name,
    candidate: () => store.load('bench', processName),
    baselines: { [BASELINE]: async () => JSON.parse(readFileSync(path, 'utf8')) },
    rounds: Number(process.env.LOAD_BENCH_ROUNDS ?? 150),
    targets: { [BASELINE]: 1.2 },
  });
  for (const row of rows) {
    row.note = `${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB; load validates against the schema and builds the summary`;
  }
  return rows;
}

export async function run(): Promise<void> {
  const dir = scratchDir('load');
  const root = join(dir, 'runs');
  mkdirSync(join(root, 'bench'), { recursive: true });
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const seed = await compareLoad(
    store,
    'load of a 20,000-update seed-format file',
    'collect',
    JSON.stringify(seedFormatSummary(20_000), null, 2),
  );
  const current = await compareLoad(
    store,
    'load of a current-format file with a large custom metric',
    'metrics',
    // As the store writes a summary (indented JSON).
    `${JSON.stringify(bigMetricSummary(43_000).getSummaryDict(), null, 2)}\n`,
  );
  writeReport({ topic: 'load', package: '@process-summary/store-fs', rows: [...seed, ...current] });
}
