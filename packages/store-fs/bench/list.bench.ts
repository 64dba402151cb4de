/**
 * `list` then `read({ full: false })` of 10,000 summaries (100 runs of 100 processes), as a
 * listing tool does in a fresh process (a new store each round: no index carried over),
 * against what a user would otherwise write: readdir of each run directory, then
 * `readFileSync` + `JSON.parse` of every `.json` entry.
 *
 * System calls per summary read: statx of the run directory (is its index still valid?),
 * openat, statx of the file (regular file? size, mtime), pread64, close. Per run directory:
 * statx and readdir, once, by `list`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { fileBytes, scratchDir, typicalSummary } from './_setup.js';

const RUNS = 100;
const PROCESSES = 100;

async function listAndRead(root: string): Promise<number> {
  const store = new FileSummaryStore({ root, logger: silentLogger });
  const { summaries } = await store.list();
  let read = 0;
  for (const listed of summaries) {
    if ((await store.read(listed, { full: false }))?.dict) read += 1;
  }
  return read;
}

function readdirAndParse(root: string): number {
  let read = 0;
  for (const run of readdirSync(root)) {
    const dir = join(root, run);
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      if (JSON.parse(readFileSync(join(dir, name), 'utf8'))) read += 1;
    }
  }
  return read;
}

export async function run(): Promise<void> {
  const root = join(scratchDir('list'), 'runs');
  const paths = new FileSummaryStore({ root, logger: silentLogger });
  for (let r = 0; r < RUNS; r++) {
    const runName = `run_${String(r).padStart(3, '0')}`;
    mkdirSync(join(root, runName), { recursive: true });
    for (let p = 0; p < PROCESSES; p++) {
      const summary = typicalSummary(runName, `process_${p}`);
      writeFileSync(paths.pathFor(runName, `process_${p}`), fileBytes(summary));
    }
  }
  const expected = RUNS * PROCESSES;
  if ((await listAndRead(root)) !== expected || readdirAndParse(root) !== expected) {
    throw new Error(`both contenders must read ${expected} summaries`);
  }
  const rows = await compareAsync({
    name: `list + read of ${expected.toLocaleString('en-US')} summaries (fresh store)`,
    candidate: () => listAndRead(root),
    baselines: { 'readdirSync + readFileSync + JSON.parse': async () => readdirAndParse(root) },
    rounds: 7,
    targets: { 'readdirSync + readFileSync + JSON.parse': 2 },
  });
  for (const row of rows) {
    row.note =
      'per summary: statx (run directory), openat, statx, pread64, close; per run directory: statx + readdir';
  }
  writeReport({ topic: 'list', package: '@process-summary/store-fs', rows });
}
