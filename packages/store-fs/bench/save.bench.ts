/**
 * Save latency of a ~5 KB summary: FileSummaryStore against the bare durable protocol written
 * inline, write-file-atomic, atomically and steno, interleaved in one process. Then whether
 * the save cost stays flat as a run grows (10,000 vs 1,000,000 progress updates).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareAsync, type Row, writeReport } from '@process-summary/bench-kit';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { writeFile as atomicallyWriteFile } from 'atomically';
import { Writer as StenoWriter } from 'steno';
import writeFileAtomic from 'write-file-atomic';
import { bareDurableWrite, fileBytes, scratchDir, typicalSummary } from './_setup.js';

export async function run(): Promise<void> {
  const dir = scratchDir('save');
  const store = new FileSummaryStore({ root: join(dir, 'runs'), logger: silentLogger });
  const summary = typicalSummary();
  const expected = fileBytes(summary);
  const files: Record<string, string> = {};
  for (const name of ['bare', 'write-file-atomic', 'atomically', 'steno']) {
    mkdirSync(join(dir, name), { recursive: true });
    files[name] = join(dir, name, 'process_summary_collect.json');
  }
  const steno = new StenoWriter(files.steno as string);
  // Every contender serializes the same state on each call, as a save must.
  const rows: Row[] = await compareAsync({
    name: 'save of a ~5 KB summary',
    candidate: () => store.save(summary),
    baselines: {
      'bare protocol (tmp+fsync+rename+fsync dir)': () =>
        bareDurableWrite(files.bare as string, fileBytes(summary)),
      'write-file-atomic': () =>
        writeFileAtomic(files['write-file-atomic'] as string, fileBytes(summary)),
      atomically: () => atomicallyWriteFile(files.atomically as string, fileBytes(summary)),
      steno: () => steno.write(fileBytes(summary).toString('utf8')),
    },
    rounds: 300,
    interleave: true,
    targets: { 'bare protocol (tmp+fsync+rename+fsync dir)': 1.1, 'write-file-atomic': 1.0 },
  });
  // Same result: every contender left the same bytes.
  const written = readFileSync(store.pathFor('bench', 'collect'));
  if (!written.equals(expected)) throw new Error('FileSummaryStore wrote other bytes');
  for (const [name, path] of Object.entries(files)) {
    if (!readFileSync(path).equals(expected)) throw new Error(`${name} wrote other bytes`);
  }
  for (const row of rows) {
    row.note = `${expected.length} bytes; ${row.baselineName === 'steno' ? 'steno does not fsync at all; ' : ''}${
      row.baselineName?.startsWith('bare') ? 'same durability as the store' : 'no directory fsync'
    }`;
  }

  // With a journal append: ten progress updates pending at each save (the common case).
  const withEvents = typicalSummary('bench', 'with_events');
  const busy = await compareAsync({
    name: 'save with 10 progress updates pending (journal append + fdatasync)',
    candidate: () => {
      for (let i = 0; i < 10; i++) withEvents.addProgressUpdate('batch');
      return store.save(withEvents);
    },
    baselines: {
      'bare protocol (tmp+fsync+rename+fsync dir)': () =>
        bareDurableWrite(files.bare as string, fileBytes(summary)),
    },
    rounds: 200,
    interleave: true,
  });
  for (const row of busy) row.note = 'informational: two files made durable instead of one';

  // Flat cost as the run grows.
  const sized = (updates: number, processName: string) => {
    const s = typicalSummary('growth', processName);
    for (let i = 0; i < updates; i++) {
      s.addProgressUpdate('Processing batch', { batch_size: 10 });
      // A pipeline saves (and so hands its events over) as it goes; core's pending-event
      // buffer trims one event at a time when full, which is slow for 1e6 unsaved updates.
      if (i % 10_000 === 9_999) s.takeEvents();
    }
    s.takeEvents();
    return s;
  };
  const fresh = typicalSummary('growth', 'fresh');
  const small = sized(10_000, 'small');
  const large = sized(1_000_000, 'large');
  const growth = await compareAsync({
    name: 'save after 1,000,000 progress updates',
    candidate: () => store.save(large),
    baselines: {
      'after 10,000 updates': () => store.save(small),
      'fresh summary (12 updates)': () => store.save(fresh),
    },
    rounds: 200,
    interleave: true,
    targets: { 'after 10,000 updates': 1.2 },
  });
  writeReport({
    topic: 'save',
    package: '@process-summary/store-fs',
    rows: [...rows, ...busy, ...growth],
  });
}
