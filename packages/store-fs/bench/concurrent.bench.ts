/**
 * 1,000 saves issued at once. Against one save of our own (coalescing makes them one write: the
 * saves of one turn of the event loop share it), and against what a user would otherwise write: write-file-atomic and atomically
 * doing the same 1,000 writes at once (each serializes the state at its call, as a save does).
 * Physical writes are counted for every contender (renames onto the file), and each must leave
 * the last state in the file.
 *
 * `CONCURRENT_ROUNDS` (default 100) and `CONCURRENT_LIBRARY_ROUNDS` (default 10: each of their
 * rounds is 1,000 durable writes) shrink it while developing.
 */
import fs, { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareAsync, writeReport } from '@process-summary/bench-kit';
import {
  FileSummaryStore,
  type FileSystem,
  nodeFileSystem,
  silentLogger,
} from '@process-summary/store-fs';
import { fileBytes, scratchDir, typicalSummary } from './_setup.js';

const ROUNDS = Number(process.env.CONCURRENT_ROUNDS ?? 100);
const LIBRARY_ROUNDS = Number(process.env.CONCURRENT_LIBRARY_ROUNDS ?? 10);
const SAVES = 1_000;

/** Renames onto each target path, ours and the libraries' (which call `fs.rename` of node:fs). */
const renamesOnto = new Map<string, number>();
const countRename = (to: unknown) => {
  const key = String(to);
  renamesOnto.set(key, (renamesOnto.get(key) ?? 0) + 1);
};
const originalRename = fs.rename;
// Patched before the libraries load: atomically (stubborn-fs) binds fs.rename at import.
fs.rename = ((from: fs.PathLike, to: fs.PathLike, callback: fs.NoParamCallback) => {
  countRename(to);
  return originalRename(from, to, callback);
}) as typeof fs.rename;
const { default: writeFileAtomic } = await import('write-file-atomic');
const { writeFile: atomicallyWriteFile } = await import('atomically');

const countingFs: FileSystem = {
  ...nodeFileSystem,
  rename: (from, to) => {
    countRename(to);
    return nodeFileSystem.rename(from, to);
  },
};

export async function run(): Promise<void> {
  const dir = scratchDir('concurrent');
  const store = new FileSummaryStore({
    root: join(dir, 'runs'),
    logger: silentLogger,
    fs: countingFs,
  });
  const many = typicalSummary('bench', 'many');
  const one = typicalSummary('bench', 'one');
  const saveMany = async () => {
    const saves: Promise<void>[] = [];
    for (let i = 0; i < SAVES; i++) {
      many.incrementItems({ processed: 1 });
      saves.push(store.save(many));
    }
    await Promise.all(saves);
  };
  const rows = await compareAsync({
    name: '1,000 concurrent saves (wall time)',
    candidate: saveMany,
    baselines: {
      'one save': () => {
        one.incrementItems({ processed: 1 });
        return store.save(one);
      },
    },
    rounds: ROUNDS,
    targets: { 'one save': 3 },
  });
  const loaded = await store.load('bench', 'many');
  if (loaded?.summary.itemsProcessed !== many.itemsProcessed) {
    throw new Error('the last state did not win');
  }
  for (const row of rows) row.note = 'the saves of one turn share one write';

  // The same 1,000 saves with the libraries a user would otherwise pick.
  const ours = store.pathFor('bench', 'many');
  const libraries: Record<string, string> = {};
  for (const name of ['write-file-atomic', 'atomically']) {
    fs.mkdirSync(join(dir, name), { recursive: true });
    libraries[name] = join(dir, name, 'process_summary_many.json');
  }
  const states = {
    ours: many,
    'write-file-atomic': typicalSummary(),
    atomically: typicalSummary(),
  };
  const concurrently = (name: 'write-file-atomic' | 'atomically') => async () => {
    const summary = states[name];
    const path = libraries[name] as string;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < SAVES; i++) {
      summary.incrementItems({ processed: 1 });
      const data = fileBytes(summary);
      writes.push(
        name === 'atomically' ? atomicallyWriteFile(path, data) : writeFileAtomic(path, data),
      );
    }
    await Promise.all(writes);
  };
  const runs = new Map<string, number>();
  const counted = (name: string, op: () => Promise<void>) => async () => {
    runs.set(name, (runs.get(name) ?? 0) + 1);
    await op();
  };
  renamesOnto.clear();
  const againstLibraries = await compareAsync({
    name: '1,000 concurrent saves (wall time)',
    candidate: counted('ours', saveMany),
    baselines: {
      'write-file-atomic, the same 1,000 writes at once': counted(
        'write-file-atomic',
        concurrently('write-file-atomic'),
      ),
      'atomically, the same 1,000 writes at once': counted(
        'atomically',
        concurrently('atomically'),
      ),
    },
    rounds: LIBRARY_ROUNDS,
    targets: {
      'write-file-atomic, the same 1,000 writes at once': 1,
      'atomically, the same 1,000 writes at once': 1,
    },
  });
  // Same result: every file holds its summary's last state.
  const lastState = (path: string) => JSON.parse(readFileSync(path, 'utf8')).items_processed;
  if (lastState(ours) !== many.itemsProcessed) throw new Error('ours: the last state did not win');
  for (const name of ['write-file-atomic', 'atomically'] as const) {
    if (lastState(libraries[name] as string) !== states[name].itemsProcessed) {
      throw new Error(`${name}: the last state did not win`);
    }
  }
  const perRun = (name: string, path: string) => {
    const renames = renamesOnto.get(path) ?? 0;
    if (renames === 0)
      throw new Error(`${name}: no rename counted (fs.rename not patched in time)`);
    return (renames / (runs.get(name) ?? 1)).toFixed(1);
  };
  const oursWrites = perRun('ours', ours);
  for (const row of againstLibraries) {
    const name = row.baselineName?.startsWith('atomically') ? 'atomically' : 'write-file-atomic';
    const times = (row.baseline?.medianNs ?? 0) / row.candidate.medianNs;
    row.note = `${times.toFixed(0)}x less wall time; physical writes per 1,000 saves: ours ${oursWrites}, ${name} ${perRun(name, libraries[name] as string)}; neither library fsyncs the directory`;
  }
  writeReport({
    topic: 'concurrent',
    package: '@process-summary/store-fs',
    rows: [...rows, ...againstLibraries],
  });
}
