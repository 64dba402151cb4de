/**
 * Load of a seed-format file with 20,000 progress updates (the shape the Python seed wrote,
 * unbounded) against a bare `JSON.parse(await readFile(…))` of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { seedFormatSummary } from './_seed-file.js';
import { scratchDir } from './_setup.js';

export async function run(): Promise<void> {
  const dir = scratchDir('load');
  const root = join(dir, 'runs');
  mkdirSync(join(root, 'bench'), { recursive: true });
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const path = store.pathFor('bench', 'collect');
  const text = JSON.stringify(seedFormatSummary(20_000), null, 2);
  writeFileSync(path, text);
  const loaded = await store.load('bench', 'collect');
  if (
    loaded === null ||
    loaded.warnings.length > 0 ||
    loaded.summary.progressUpdatesCount !== 20_000
  ) {
    throw new Error('the seed-format file did not load cleanly');
  }
  const rows = await compareAsync({
    name: 'load of a 20,000-update seed-format file',
    candidate: () => store.load('bench', 'collect'),
    baselines: { 'readFile + JSON.parse': async () => JSON.parse(await readFile(path, 'utf8')) },
    rounds: 60,
    targets: { 'readFile + JSON.parse': 1.5 },
  });
  for (const row of rows) {
    row.note = `${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB; load validates against the schema and keeps the last 100 updates`;
  }
  writeReport({ topic: 'load', package: '@process-summary/store-fs', rows });
}
