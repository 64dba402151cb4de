/**
 * The file store's `readListing`: each run directory looked at once before a batch and once
 * after it, instead of once per summary, and a directory that changed in between read again,
 * so that every result is what a `read` of its own would have given. The stats are counted,
 * and "another process" changes a directory, by wrapping `node:fs`'s `statSync` (the store's
 * reads of the real file system are synchronous node:fs calls).
 */
import fs, { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { SummaryRef } from '@process-summary/core';
import { projected } from '@process-summary/store-contract';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { epochPathFor } from '../src/layout.js';
import { makeSummary, recordingLogger, removeDir, tempDir } from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  store: FileSummaryStore;
  refs: SummaryRef[];
}

const test = suite<Ctx>('readListing (file store)');
const RUN = 'harvard_2024';
const PROCESSES = 40;

test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-read-listing-');
  ctx.root = join(ctx.dir, 'runs');
  mkdirSync(ctx.root);
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
  ctx.refs = [];
  for (let i = 0; i < PROCESSES; i++) {
    const { summary } = makeSummary(RUN, `p${i}`);
    summary.incrementItems({ processed: i });
    await ctx.store.save(summary);
    ctx.refs.push({ runName: RUN, processName: `p${i}` });
  }
  // Changed long enough ago for its listing to be trusted (see dir-index.ts).
  const old = Date.now() / 1000 - 3600;
  utimesSync(join(ctx.root, RUN), old, old);
});
test.after.each(async (ctx) => {
  restoreStat();
  await removeDir(ctx.dir);
});

const realStatSync = fs.statSync;

/** Wraps `statSync` for the store's calls: `onStat(path, nth)` runs before each stat of `path`. */
function watchStats(onStat: (path: string, nth: number) => void): Map<string, number> {
  const counts = new Map<string, number>();
  fs.statSync = ((path: fs.PathLike, options?: fs.StatSyncOptions) => {
    const key = String(path);
    const nth = (counts.get(key) ?? 0) + 1;
    counts.set(key, nth);
    onStat(key, nth);
    return realStatSync(path, options);
  }) as typeof fs.statSync;
  syncBuiltinESMExports();
  return counts;
}

function restoreStat(): void {
  fs.statSync = realStatSync;
  syncBuiltinESMExports();
}

test('one stat of a run directory before the batch and one after, not one per summary', async (ctx) => {
  const reader = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
  await reader.list(); // the listing a reader takes first, which indexes the directory
  const counts = watchStats(() => {});
  const listed = await reader.readListing(ctx.refs);
  restoreStat();
  assert.is(counts.get(join(ctx.root, RUN)), 2, `stats: ${JSON.stringify([...counts])}`);
  for (const [i, ref] of ctx.refs.entries()) {
    assert.equal(listed[i], projected(await ctx.store.read(ref, { full: false })));
    assert.is(listed[i]?.dict?.items_processed, i);
  }
});

test('an epoch copy made while the batch read is seen: the directory is read again, one by one', async (ctx) => {
  const reader = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
  await reader.list();
  const paths = ctx.store.pathsFor(ctx.refs[7] as SummaryRef);
  const takenOver = {
    ...(await ctx.store.read(ctx.refs[7] as SummaryRef))?.dict,
    items_processed: 700,
    owner_epoch: 3,
  };
  // Another process's new owner writes its copy after the batch's reads, before its last stat.
  watchStats((path, nth) => {
    if (path === paths.dir && nth === 2)
      writeFileSync(epochPathFor(paths, 3), JSON.stringify(takenOver));
  });
  const listed = await reader.readListing(ctx.refs);
  restoreStat();
  assert.is(listed[7]?.epoch, 3, 'the copy of the higher epoch, as a read now gives');
  assert.is(listed[7]?.dict?.items_processed, 700);
  assert.is(listed[7]?.location, epochPathFor(paths, 3));
  assert.equal(
    listed[7],
    projected(await ctx.store.read(ctx.refs[7] as SummaryRef, { full: false })),
  );
  assert.is(listed[8]?.dict?.items_processed, 8, 'the others are read again too, unchanged');
});

test('a run directory removed while the batch read gives what read gives: nothing', async (ctx) => {
  const reader = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
  await reader.list();
  const dir = join(ctx.root, RUN);
  watchStats((path, nth) => {
    if (path === dir && nth === 2) rmSync(dir, { recursive: true });
  });
  const listed = await reader.readListing(ctx.refs);
  restoreStat();
  assert.equal(
    listed,
    ctx.refs.map(() => null),
  );
});

test('a directory changed too recently to trust is read one summary at a time, each right', async (ctx) => {
  const reader = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
  await reader.list();
  const { summary } = makeSummary(RUN, 'p3');
  summary.incrementItems({ processed: 33 });
  await ctx.store.save(summary); // renames in: the directory changed just now
  const counts = watchStats(() => {});
  const listed = await reader.readListing(ctx.refs);
  restoreStat();
  assert.ok((counts.get(join(ctx.root, RUN)) ?? 0) > PROCESSES, 'a stat per summary, as read');
  assert.is(listed[3]?.dict?.items_processed, 33, 'the save just made');
  for (const [i, ref] of ctx.refs.entries()) {
    assert.equal(listed[i], projected(await ctx.store.read(ref, { full: false })), ref.processName);
  }
});

test('refs across run directories keep their order; bad refs are refused before any read', async (ctx) => {
  const other = makeSummary('other_run', 'collect');
  await ctx.store.save(other.summary);
  const refs = [ctx.refs[2], { runName: 'other_run', processName: 'collect' }, ctx.refs[1]];
  const listed = await ctx.store.readListing(refs as SummaryRef[]);
  assert.equal(
    listed.map((r) => `${r?.ref.runName}/${r?.ref.processName}`),
    ['harvard_2024/p2', 'other_run/collect', 'harvard_2024/p1'],
  );
  const counts = watchStats(() => {});
  try {
    await ctx.store.readListing([ctx.refs[0] as SummaryRef, { runName: '..', processName: 'x' }]);
    assert.unreachable('a bad name must be refused');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_NAME');
  }
  restoreStat();
  assert.is(counts.size, 0, 'nothing looked at');
  try {
    await ctx.store.readListing('nope' as unknown as SummaryRef[]);
    assert.unreachable('not an array');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_ARGUMENT');
  }
});

test.run();
