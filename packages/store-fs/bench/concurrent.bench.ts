/** 1,000 saves issued at once against one save: coalescing keeps the wall time near two writes. */
import { join } from 'node:path';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { scratchDir, typicalSummary } from './_setup.js';

export async function run(): Promise<void> {
  const dir = scratchDir('concurrent');
  const store = new FileSummaryStore({ root: join(dir, 'runs'), logger: silentLogger });
  const many = typicalSummary('bench', 'many');
  const one = typicalSummary('bench', 'one');
  const rows = await compareAsync({
    name: '1,000 concurrent saves (wall time)',
    candidate: async () => {
      const saves: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        many.incrementItems({ processed: 1 });
        saves.push(store.save(many));
      }
      await Promise.all(saves);
    },
    baselines: {
      'one save': () => {
        one.incrementItems({ processed: 1 });
        return store.save(one);
      },
    },
    rounds: 100,
    targets: { 'one save': 3 },
  });
  const loaded = await store.load('bench', 'many');
  if (loaded?.summary.itemsProcessed !== many.itemsProcessed) {
    throw new Error('the last state did not win');
  }
  for (const row of rows) row.note = 'at most one write in flight and one pending';
  writeReport({ topic: 'concurrent', package: '@process-summary/store-fs', rows });
}
