/**
 * `saveProcessSummary` of a summary `createProcessSummary` did not make: one file store per
 * root, reused, so a save does not read the previous file again; each cwd's `runs` is its own.
 */
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { type FileSystem, nodeFileSystem } from '@process-summary/store-fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { unownedStoreFor, useFileSystemForUnownedSaves } from '../src/create.js';
import { saveProcessSummary } from '../src/index.js';
import { tempRoot } from './_helpers.js';

const test = suite('saveProcessSummary without createProcessSummary');

/** The real file system, counting the opens of each path (a read of a file is an open of it). */
function countingFs(): FileSystem & { opens: Map<string, number> } {
  const opens = new Map<string, number>();
  return {
    ...nodeFileSystem,
    opens,
    open: (path, flags, mode) => {
      opens.set(path, (opens.get(path) ?? 0) + 1);
      return nodeFileSystem.open(path, flags, mode);
    },
  };
}

function summaryOf(runName: string, processName: string): ProcessSummary {
  const summary = new ProcessSummary({ runName, processName, clock: createManualClock(1e9) });
  summary.startProcess({ host: 'h', pid: 1 });
  return summary;
}

const cwd = process.cwd();
test.after.each(() => {
  process.chdir(cwd);
  useFileSystemForUnownedSaves(undefined);
});

test('the second save reuses the store and does not read the previous file again', async () => {
  const { root, cleanup } = tempRoot();
  try {
    process.chdir(root);
    const fs = countingFs();
    useFileSystemForUnownedSaves(fs);
    const summary = summaryOf('r', 'p');
    summary.incrementItems({ processed: 1 });
    assert.ok(await saveProcessSummary(summary));
    const store = unownedStoreFor('runs');
    const file = join(root, 'runs', 'r', 'process_summary_p.json');
    const opensAfterFirst = fs.opens.get(file) ?? 0;
    summary.incrementItems({ processed: 1 });
    assert.ok(await saveProcessSummary(summary));
    assert.is(unownedStoreFor('runs'), store, 'one store for the root');
    // The previous version was written by this store: it becomes the backup unread.
    assert.is(fs.opens.get(file) ?? 0, opensAfterFirst, 'the summary file was not opened');
    assert.is(JSON.parse(readFileSync(file, 'utf8')).items_processed, 2);
    assert.is(JSON.parse(readFileSync(`${file}.bak`, 'utf8')).items_processed, 1);
  } finally {
    cleanup();
  }
});

test('a file changed by someone else is read and validated before it becomes the backup', async () => {
  const { root, cleanup } = tempRoot();
  try {
    process.chdir(root);
    const fs = countingFs();
    useFileSystemForUnownedSaves(fs);
    const summary = summaryOf('r', 'p');
    assert.ok(await saveProcessSummary(summary));
    const file = join(root, 'runs', 'r', 'process_summary_p.json');
    // Another process rewrote it: a valid summary, but not the version this store wrote.
    const other = summaryOf('r', 'p');
    other.incrementItems({ processed: 7 });
    writeFileSync(file, `${JSON.stringify(other.getSummaryDict(), null, 2)}\n`);
    const opensBefore = fs.opens.get(file) ?? 0;
    assert.ok(await saveProcessSummary(summary));
    assert.ok((fs.opens.get(file) ?? 0) > opensBefore, 'the changed file was read');
    assert.is(JSON.parse(readFileSync(`${file}.bak`, 'utf8')).items_processed, 7);
  } finally {
    cleanup();
  }
});

test('a torn journal line left by another writer is dropped before the reused store appends', async () => {
  const { root, cleanup } = tempRoot();
  try {
    process.chdir(root);
    const summary = summaryOf('r', 'p');
    summary.addProgressUpdate('one');
    assert.ok(await saveProcessSummary(summary));
    const journal = join(root, 'runs', 'r', 'process_summary_p.events.jsonl');
    appendFileSync(journal, '{"type":"progress","torn');
    summary.addProgressUpdate('two');
    assert.ok(await saveProcessSummary(summary));
    const lines = readFileSync(journal, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    for (const line of lines) JSON.parse(line); // every line whole: none glued to the torn one
    assert.ok(lines.some((l) => l.includes('"two"')));
  } finally {
    cleanup();
  }
});

test('summaries saved under two working directories land in their own roots', async () => {
  const a = tempRoot();
  const b = tempRoot();
  try {
    process.chdir(a.root);
    const first = summaryOf('r', 'first');
    assert.ok(await saveProcessSummary(first));
    process.chdir(b.root);
    const second = summaryOf('r', 'second');
    assert.ok(await saveProcessSummary(second));
    process.chdir(a.root);
    first.incrementItems({ processed: 3 });
    assert.ok(await saveProcessSummary(first));
    assert.is.not(unownedStoreFor(join(a.root, 'runs')), unownedStoreFor(join(b.root, 'runs')));
    const read = (root: string, name: string) =>
      JSON.parse(readFileSync(join(root, 'runs', 'r', `process_summary_${name}.json`), 'utf8'));
    assert.is(read(a.root, 'first').items_processed, 3);
    assert.is(read(b.root, 'second').items_processed, 0);
    assert.throws(() => read(a.root, 'second'));
    assert.throws(() => read(b.root, 'first'));
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('a run directory removed between saves is made again', async () => {
  const { root, cleanup } = tempRoot();
  try {
    process.chdir(root);
    const summary = summaryOf('r', 'p');
    summary.addProgressUpdate('one');
    assert.ok(await saveProcessSummary(summary));
    rmSync(join(root, 'runs', 'r'), { recursive: true });
    summary.addProgressUpdate('two');
    assert.ok(await saveProcessSummary(summary));
    const file = join(root, 'runs', 'r', 'process_summary_p.json');
    assert.is(JSON.parse(readFileSync(file, 'utf8')).progress_updates_count, 2);
    const journal = readFileSync(join(root, 'runs', 'r', 'process_summary_p.events.jsonl'), 'utf8');
    assert.ok(journal.includes('"two"'));
  } finally {
    cleanup();
  }
});

test.run();
