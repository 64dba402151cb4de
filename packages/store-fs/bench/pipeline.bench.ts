/**
 * What a user feels: a pipeline doing ~2 µs of real work per item (a deterministic CPU loop,
 * calibrated at start), counting every item and saving every 1,000 items with a progress
 * update, as a user would add one. Each contender is its own loop over the same items:
 * - no tracking: the work alone;
 * - tracking + the bare durable write (temp file, write, fsync, rename, directory fsync) of the
 *   same bytes the store writes: the floor of a durable save;
 * - tracking + `FileSummaryStore.save` with a lease (fenced), every event journaled;
 * - tracking + `saveProcessSummary` (recovery, the seed's API), of a summary
 *   `createProcessSummary` made once before the rounds (owned, fenced) and of one made by hand
 *   (unowned).
 * Reported: each pipeline's whole time against no tracking (overhead) and against the
 * bare-durable-write pipeline; the target is the whole pipeline with our save at most 1.1×
 * the whole pipeline with the bare durable write. Before reporting, every contender's file
 * must hold the same counters.
 *
 * `PIPELINE_ITEMS` (default 200,000: 200 saves per pipeline) and `PIPELINE_ROUNDS` (default 75:
 * 15 pipelines of each contender a run, so that a run's median is not one of five) shrink it
 * while developing.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  blackhole,
  compareAsync,
  type Row,
  ratioRow,
  writeReport,
} from '@process-summary/bench-kit';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { bareDurableWrite, fileBytes, scratchDir } from './_setup.js';

const ITEMS = Number(process.env.PIPELINE_ITEMS ?? 200_000);
const ROUNDS = Number(process.env.PIPELINE_ROUNDS ?? 75);
const SAVE_EVERY = 1_000;
const WORK_NS = 2_000;

/** A few multiply-adds per step: deterministic, not optimizable away (the result is kept). */
function spin(steps: number, seed: number): number {
  let x = seed | 0;
  for (let i = 0; i < steps; i++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
  return x;
}

/** The steps of `spin` that take about `WORK_NS` here: the best of several timings. */
function calibrate(): number {
  const probe = 200_000;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 15; i++) {
    const start = process.hrtime.bigint();
    blackhole(spin(probe, i));
    best = Math.min(best, Number(process.hrtime.bigint() - start));
  }
  return Math.max(1, Math.round((probe * WORK_NS) / best));
}

/** A summary as a pipeline starts one: a total, a few custom metrics; ~5 KB once running. */
function startSummary(processName: string, clock = createManualClock(1_750_000_000)) {
  const summary = new ProcessSummary({ runName: 'pipeline', processName, clock });
  summary.startProcess({ host: 'bench-host', pid: 1 });
  prepare(summary);
  return summary;
}

function prepare(summary: ProcessSummary): void {
  summary.setItemsTotal(ITEMS);
  summary.setCustomMetric('storage_type', 'minio');
  summary.setCustomMetric('bucket_name', 'grin-raw');
  summary.setCustomMetric('books', { collected: 0, skipped: 0 });
}

/** One item of a tracked pipeline: the work, then the counters (a failure every 97 items). */
function trackedItem(summary: ProcessSummary, steps: number, i: number): number {
  const out = spin(steps, i);
  if (i % 97 === 0) {
    summary.incrementItems({ processed: 1, failed: 1 });
    if (i % 970 === 0) summary.addError('TimeoutError', `item ${i} timed out`);
  } else {
    summary.incrementItems({ processed: 1, successful: 1, bytes: 4096 });
  }
  return out;
}

/** What a user adds before each save. */
function progress(summary: ProcessSummary, i: number): void {
  summary.addProgressUpdate(`Processed ${i} items`, { batch_size: SAVE_EVERY, shard: 's-1' });
}

export async function run(): Promise<void> {
  const dir = scratchDir('pipeline');
  const steps = calibrate();
  const root = join(dir, 'runs');
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const barePath = join(dir, 'bare', 'process_summary_bare.json');
  mkdirSync(join(dir, 'bare'), { recursive: true });

  const none = async () => {
    let acc = 0;
    for (let i = 1; i <= ITEMS; i++) acc ^= spin(steps, i);
    blackhole(acc);
  };

  let bareSummary = startSummary('bare');
  const bare = async () => {
    bareSummary = startSummary('bare');
    let acc = 0;
    for (let i = 1; i <= ITEMS; i++) {
      acc ^= trackedItem(bareSummary, steps, i);
      if (i % SAVE_EVERY === 0) {
        progress(bareSummary, i);
        // The bare write keeps no journal: the events are dropped, as a user without one would.
        bareSummary.takeEvents();
        await bareDurableWrite(barePath, fileBytes(bareSummary));
      }
    }
    blackhole(acc);
  };

  const ref = { runName: 'pipeline', processName: 'store', worker: null };
  const { lease } = await store.acquire(ref);
  let storeSummary = startSummary('store');
  const ours = async () => {
    storeSummary = startSummary('store');
    let acc = 0;
    for (let i = 1; i <= ITEMS; i++) {
      acc ^= trackedItem(storeSummary, steps, i);
      if (i % SAVE_EVERY === 0) {
        progress(storeSummary, i);
        await store.save(storeSummary, lease);
      }
    }
    blackhole(acc);
  };

  // The seed's API (recovery): imported from its build by path, since recovery depends on
  // this package (a dependency back would be a cycle). A summary createProcessSummary made
  // (owned; its counters carry on across rounds, compared per round below), and one made by
  // hand (unowned, saved under `runs` of the working directory).
  const recoveryApi: typeof import('../../recovery/dist/index.js') = await import(
    '../../recovery/dist/index.js'
  );
  // createProcessSummary once, as a process does: its acquire, load and first save are paid
  // once per process, not per 1,000 items, so the rounds measure the saves.
  const ownedSummary = await recoveryApi.createProcessSummary('pipeline', 'owned', {
    root,
    heartbeatSeconds: 0,
    handleSignals: false,
    logger: silentLogger,
    clock: createManualClock(1_750_000_000),
  });
  prepare(ownedSummary);
  let ownedBase = 0;
  const owned = async () => {
    ownedBase = ownedSummary.itemsProcessed;
    let acc = 0;
    for (let i = 1; i <= ITEMS; i++) {
      acc ^= trackedItem(ownedSummary, steps, i);
      if (i % SAVE_EVERY === 0) {
        progress(ownedSummary, i);
        await recoveryApi.saveProcessSummary(ownedSummary);
      }
    }
    blackhole(acc);
  };
  const cwd = process.cwd();
  process.chdir(dir);
  let unownedSummary = startSummary('unowned');
  const unowned = async () => {
    unownedSummary = startSummary('unowned');
    let acc = 0;
    for (let i = 1; i <= ITEMS; i++) {
      acc ^= trackedItem(unownedSummary, steps, i);
      if (i % SAVE_EVERY === 0) {
        progress(unownedSummary, i);
        await recoveryApi.saveProcessSummary(unownedSummary);
      }
    }
    blackhole(acc);
  };

  // One interleaved loop for every contender; the rows between two baselines come from it.
  const bareName = 'tracking + bare durable write every 1,000 items';
  const ownedName = 'tracking + saveProcessSummary (createProcessSummary) every 1,000 items';
  const unownedName = 'tracking + saveProcessSummary (a summary made by hand) every 1,000 items';
  const measured = await compareAsync({
    name: 'pipeline: tracking + FileSummaryStore.save every 1,000 items',
    candidate: ours,
    baselines: {
      [bareName]: bare,
      'no tracking': none,
      [ownedName]: owned,
      [unownedName]: unowned,
    },
    rounds: ROUNDS,
    interleave: true,
    targets: { [bareName]: 1.1 },
  });
  process.chdir(cwd);
  const statsOf = (name: string): Row => {
    const found = measured.find((r) => r.baselineName === name);
    if (found?.baseline === undefined) throw new Error(`no samples of ${name}`);
    return { name, candidate: found.baseline };
  };
  const rows: Row[] = [
    ...measured.filter((r) => r.baselineName === bareName || r.baselineName === 'no tracking'),
    ratioRow(`pipeline: ${ownedName} vs ${bareName}`, statsOf(ownedName), statsOf(bareName), 1.1),
    ratioRow(`pipeline: ${ownedName} vs no tracking`, statsOf(ownedName), statsOf('no tracking')),
    ratioRow(`pipeline: ${unownedName} vs ${bareName}`, statsOf(unownedName), statsOf(bareName)),
    ratioRow(
      `pipeline: ${unownedName} vs no tracking`,
      statsOf(unownedName),
      statsOf('no tracking'),
    ),
    ratioRow(`pipeline: ${bareName} vs no tracking`, statsOf(bareName), statsOf('no tracking')),
  ];

  // Same result: the bare file and the store's hold the same counters, and each recovery
  // contender's file as many items as it processed.
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
  const bareDict = read(barePath);
  for (const name of ['store', 'unowned']) {
    const dict = read(store.pathFor('pipeline', name));
    for (const key of [
      'items_processed',
      'items_successful',
      'items_failed',
      'bytes_processed',
      'error_count',
      'progress_updates_count',
    ]) {
      if (bareDict[key] !== dict[key]) {
        throw new Error(`${key}: bare ${bareDict[key]} vs ${name} ${dict[key]}`);
      }
    }
  }
  if (bareDict.items_processed !== ITEMS) throw new Error('the bare pipeline missed items');
  const ownedDict = read(store.pathFor('pipeline', 'owned'));
  if (
    ownedSummary.itemsProcessed - ownedBase !== ITEMS ||
    ownedDict.items_processed !== ownedSummary.itemsProcessed
  ) {
    throw new Error('the createProcessSummary pipeline missed items');
  }
  ownedSummary.endProcess();
  if (!(await recoveryApi.saveProcessSummary(ownedSummary))) throw new Error('final save failed');

  const size = fileBytes(storeSummary).length;
  for (const row of rows) {
    const overhead = `+${(((row.ratio ?? 1) - 1) * 100).toFixed(0)}%`;
    row.note =
      row.baselineName === 'no tracking'
        ? `overhead over no tracking: ${overhead}; ${ITEMS.toLocaleString('en')} items of ~2 µs, a ~${(size / 1024).toFixed(1)} KB save every ${SAVE_EVERY.toLocaleString('en')}`
        : 'whole pipeline time against the same pipeline saving with the bare durable write (same bytes; no journal, backup or owner check)';
  }
  writeReport({ topic: 'pipeline', package: '@process-summary/store-fs', rows });
}
