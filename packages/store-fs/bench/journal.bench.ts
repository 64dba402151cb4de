/**
 * Journal throughput: events made durable per second when a save hands a batch of progress
 * updates to the journal, and the streaming read back.
 *
 * Measured over the kit's runs (5, or `BENCH_RUNS`): each run times a few saves of a full batch
 * and a streaming read of the whole journal, and reports its median as that run's figure. The
 * events/s target is met only if every run met it, and the note gives its spread over runs.
 */
import { join } from 'node:path';
import {
  DEFAULT_RUNS,
  type Row,
  runsFor,
  spreadOf,
  statsFromRuns,
  writeReport,
} from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { scratchDir, typicalSummary } from './_setup.js';

const BATCH = 20_000;
/** Saves timed over all runs (split evenly across them, at least 3 a run). */
const ROUNDS = 15;
const WARM_UP_SAVES = 2;
const TARGET_EVENTS_PER_SECOND = 200_000;

const perSecondText = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * A row of per-event times grouped by run; its note gives events/s (median and min–max over
 * the runs' medians) and, with a target, in how many runs it held.
 */
function throughputRow(name: string, runsNs: number[][], target?: number): Row {
  const candidate = statsFromRuns(runsNs);
  const perSecond = spreadOf((candidate.runsNs ?? []).map((ns) => 1e9 / ns));
  const held = target === undefined ? 0 : perSecond.runs.filter((x) => x >= target).length;
  const over =
    perSecond.runs.length > 1
      ? ` (${perSecond.runs.length} runs ${perSecondText(perSecond.min)}–${perSecondText(perSecond.max)}${target === undefined ? '' : `, target met in ${held}/${perSecond.runs.length}`})`
      : '';
  return {
    name,
    candidate,
    ...(target === undefined
      ? {}
      : {
          target: `>= ${target.toLocaleString('en-US')} events/s`,
          met: perSecond.runs.length > 0 && held === perSecond.runs.length,
        }),
    note: `${perSecondText(1e9 / candidate.medianNs)} events/s${over}; times are per event`,
  };
}

export async function run(): Promise<void> {
  const runs = runsFor(undefined);
  const savesPerRun = Math.max(3, Math.ceil(ROUNDS / DEFAULT_RUNS));
  const dir = scratchDir('journal');
  const store = new FileSummaryStore({ root: join(dir, 'runs'), logger: silentLogger });
  const summary = typicalSummary('bench', 'journal');
  const key = { runName: 'bench', processName: 'journal' };

  /** One save of a fresh batch of BATCH updates; ns per event. */
  const saveBatch = async (): Promise<number> => {
    for (let i = 0; i < BATCH; i++) {
      summary.incrementItems({ processed: 1, successful: 1 });
      summary.addProgressUpdate('Processing item', { item: i, shard: 's-1' });
    }
    const start = process.hrtime.bigint();
    await store.save(summary);
    return Number(process.hrtime.bigint() - start) / BATCH;
  };
  /** A streaming read of the whole journal; ns per event line, and the lines read. */
  const readAll = async (): Promise<{ ns: number; lines: number }> => {
    const start = process.hrtime.bigint();
    let lines = 0;
    for await (const entry of store.readJournal(key)) {
      if (entry.kind === 'event') lines += 1;
    }
    return { ns: Number(process.hrtime.bigint() - start) / lines, lines };
  };

  for (let i = 0; i < WARM_UP_SAVES; i++) await saveBatch();
  await readAll();
  const saveRuns: number[][] = [];
  const readRuns: number[][] = [];
  let lines = 0;
  for (let r = 0; r < runs; r++) {
    const saves: number[] = [];
    for (let i = 0; i < savesPerRun; i++) saves.push(await saveBatch());
    saveRuns.push(saves);
    // The journal grows from run to run, and so does the read: its figure is per line.
    const read = await readAll();
    readRuns.push([read.ns]);
    lines = read.lines;
  }
  // Every event appended was read back, or the read measured something else.
  const appended = (WARM_UP_SAVES + runs * savesPerRun) * BATCH;
  if (lines !== appended) {
    throw new Error(`the journal read back ${lines} event lines, not the ${appended} appended`);
  }
  writeReport({
    topic: 'journal',
    package: '@process-summary/store-fs',
    rows: [
      throughputRow(
        `journal append: ${BATCH.toLocaleString('en-US')} progress updates per save (serialize, write, fdatasync, then the summary), ${savesPerRun} saves a run`,
        saveRuns,
        TARGET_EVENTS_PER_SECOND,
      ),
      throughputRow(
        `journal streaming read of the whole journal, one read a run (${lines.toLocaleString('en-US')} lines at the last)`,
        readRuns,
      ),
    ],
  });
}
