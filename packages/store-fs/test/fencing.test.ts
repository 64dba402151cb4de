import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { SummaryRef } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore, type FileSystem, nodeFileSystem } from '../src/index.js';
import { makeSummary, recordingLogger, removeDir, tempDir } from './_helpers.js';
import { makeOwnerGone } from './_owner-gone.js';

const REF: SummaryRef = { runName: 'harvard_2024', processName: 'collect' };
const A = { host: 'host-a', pid: 101 };
const B = { host: 'host-b', pid: 202 };

type Ctx = { dir: string; store: FileSummaryStore };
const test = suite<Ctx>('fenced writes');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-fencing-');
  ctx.store = new FileSummaryStore({ root: ctx.dir, logger: recordingLogger() });
});
test.after.each((ctx) => removeDir(ctx.dir));

async function files(ctx: Ctx): Promise<string[]> {
  return (await readdir(ctx.store.pathsFor(REF).dir)).filter((n) => !n.startsWith('.')).sort();
}

async function dictAt(path: string): Promise<{ items_processed: number; owner_epoch?: number }> {
  return JSON.parse(await readFile(path, 'utf8'));
}

test('with the previous owner proven gone or released, saves write the summary file only', async (ctx) => {
  const { lease } = await ctx.store.acquire(REF, { owner: A });
  const { summary } = makeSummary();
  await ctx.store.save(summary, lease);
  await ctx.store.release(lease);
  const next = await ctx.store.acquire(REF, { owner: B });
  await ctx.store.save(summary, next.lease);
  assert.not.ok(
    (await files(ctx)).some((n) => /\.json\.e\d+$/.test(n)),
    (await files(ctx)).join(),
  );
  assert.is(
    (await dictAt(ctx.store.pathFor('harvard_2024', 'collect'))).owner_epoch,
    next.lease.epoch,
  );
});

test('a takeover judged by heartbeat copies the state it takes over and fences every save', async (ctx) => {
  const first = await ctx.store.acquire(REF, { owner: A });
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 3 });
  await ctx.store.save(summary, first.lease);
  await makeOwnerGone(ctx.store, first.lease);
  const second = await ctx.store.acquire(REF, { owner: B });
  const paths = ctx.store.pathsFor(REF);
  const copy = `${paths.summary}.e${second.lease.epoch}`;
  const taken = await dictAt(copy);
  assert.is(taken.items_processed, 3, 'the state taken over');
  assert.is(taken.owner_epoch, second.lease.epoch, 'stamped with the new epoch');
  summary.incrementItems({ processed: 4 });
  await ctx.store.save(summary, second.lease);
  assert.is((await dictAt(copy)).items_processed, 7);
  assert.is((await dictAt(paths.summary)).items_processed, 7);
  // The old owner's late rename: the summary file gets its state, stamped with its epoch.
  // (A new file renamed in: the summary file and the copy are links of one file, never
  // written in place.)
  const late = `${paths.dir}/late-write.tmp`;
  const lateState = { ...(await dictAt(paths.summary)), items_processed: 999 };
  await writeFile(late, JSON.stringify({ ...lateState, owner_epoch: first.lease.epoch }));
  await rename(late, paths.summary);
  assert.is((await dictAt(paths.summary)).items_processed, 999);
  assert.is((await ctx.store.read(REF))?.dict?.items_processed, 7);
  assert.is((await ctx.store.load(REF))?.summary.itemsProcessed, 7);
});

test('a later owner stays fenced and removes the copies it supersedes', async (ctx) => {
  const first = await ctx.store.acquire(REF, { owner: A });
  await ctx.store.save(makeSummary().summary, first.lease);
  await makeOwnerGone(ctx.store, first.lease);
  const second = await ctx.store.acquire(REF, { owner: B });
  await ctx.store.release(second.lease);
  const third = await ctx.store.acquire(REF, { owner: A });
  assert.equal(
    (await files(ctx)).filter((n) => /\.json\.e\d+$/.test(n)),
    [`process_summary_collect.json.e${third.lease.epoch}`],
  );
});

test('an unowned save under a fenced record goes where readers look', async (ctx) => {
  const first = await ctx.store.acquire(REF, { owner: A });
  await ctx.store.save(makeSummary().summary, first.lease);
  await makeOwnerGone(ctx.store, first.lease);
  const second = await ctx.store.acquire(REF, { owner: B });
  await ctx.store.release(second.lease);
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 42 });
  await ctx.store.save(summary);
  assert.is((await ctx.store.read(REF))?.dict?.items_processed, 42);
});

test('a saveSync overtaking a fenced save in flight: the copy keeps the newer state', async (ctx) => {
  let releaseLink: () => void = () => {};
  let reachedLink: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    reachedLink = resolve;
  });
  let held = false;
  const fs: FileSystem = {
    ...nodeFileSystem,
    // Hold the async save just after it linked its temp file for the epoch copy.
    link: async (from, to) => {
      await nodeFileSystem.link(from, to);
      if (!held && /\.json\.e\d+\./.test(to)) {
        held = true;
        reachedLink();
        await new Promise<void>((resolve) => {
          releaseLink = resolve;
        });
      }
    },
  };
  const store = new FileSummaryStore({ root: ctx.dir, fs, logger: recordingLogger() });
  const first = await store.acquire(REF, { owner: A });
  await store.save(makeSummary().summary, first.lease);
  await makeOwnerGone(store, first.lease);
  const { lease } = await store.acquire(REF, { owner: B });
  held = false;
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  const inFlight = store.save(summary, lease);
  await reached;
  summary.incrementItems({ processed: 1 });
  store.saveSync(summary, lease); // the signal handler's save: newer
  releaseLink();
  await inFlight;
  const copy = `${store.pathsFor(REF).summary}.e${lease.epoch}`;
  assert.is((await dictAt(copy)).items_processed, 2, 'the older state did not land on the copy');
  assert.is((await store.read(REF))?.dict?.items_processed, 2);
});

test.run();
