/**
 * Journal throughput: events made durable per second when a save hands a batch of progress
 * updates to the journal, and the streaming read back.
 */
import { join } from 'node:path';
import { type Row, type Stats, writeReport } from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { scratchDir, typicalSummary } from './_setup.js';

const BATCH = 20_000;
const ROUNDS = 15;
const TARGET_EVENTS_PER_SECOND = 200_000;

function perEventStats(samplesNs: number[], events: number): Stats {
  const sorted = samplesNs.map((ns) => ns / events).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { medianNs: at(0.5), p99Ns: at(0.99), samples: sorted.length };
}

function throughputRow(name: string, stats: Stats, target?: number): Row {
  const perSecond = Math.round(1e9 / stats.medianNs);
  return {
    name,
    candidate: stats,
    ...(target === undefined
      ? {}
      : { target: `>= ${target.toLocaleString('en-US')} events/s`, met: perSecond >= target }),
    note: `${perSecond.toLocaleString('en-US')} events/s (times are per event)`,
  };
}

export async function run(): Promise<void> {
  const dir = scratchDir('journal');
  const store = new FileSummaryStore({ root: join(dir, 'runs'), logger: silentLogger });
  const summary = typicalSummary('bench', 'journal');
  const saveSamples: number[] = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    for (let i = 0; i < BATCH; i++) {
      summary.incrementItems({ processed: 1, successful: 1 });
      summary.addProgressUpdate('Processing item', { item: i, shard: 's-1' });
    }
    const start = process.hrtime.bigint();
    await store.save(summary);
    if (round >= 2) saveSamples.push(Number(process.hrtime.bigint() - start));
  }
  const readSamples: number[] = [];
  let lines = 0;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    lines = 0;
    for await (const entry of store.readJournal({ runName: 'bench', processName: 'journal' })) {
      if (entry.kind === 'event') lines += 1;
    }
    readSamples.push(Number(process.hrtime.bigint() - start));
  }
  writeReport({
    topic: 'journal',
    package: '@process-summary/store-fs',
    rows: [
      throughputRow(
        `journal append: ${BATCH.toLocaleString('en-US')} progress updates per save (serialize, write, fdatasync, then the summary)`,
        perEventStats(saveSamples, BATCH),
        TARGET_EVENTS_PER_SECOND,
      ),
      throughputRow(
        `journal streaming read of ${lines.toLocaleString('en-US')} lines`,
        perEventStats(readSamples, lines),
      ),
    ],
  });
}
