import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { computeHostTag, newTempPath, thisHostTag, writeFileDurably } from '../src/atomic-write.js';
import { FileSummaryStore, silentLogger } from '../src/index.js';
import { summaryTempFileOwner } from '../src/layout.js';
import { FaultyFs, isJournal, isTemp } from './_faulty-fs.js';
import {
  listDir,
  makeSummary,
  readAllEvents,
  recordingLogger,
  rejection,
  removeDir,
  tempDir,
} from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  fs: FaultyFs;
  store: FileSummaryStore;
}

const test = suite<Ctx>('atomic write');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-atomic-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.fs = new FaultyFs();
  ctx.store = new FileSummaryStore({ root: ctx.root, fs: ctx.fs, logger: recordingLogger() });
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

const summaryPath = (ctx: Ctx) => ctx.store.pathFor('harvard_2024', 'collect');
const isSummaryTemp = (path: string) => isTemp(path) && !path.includes('.bak.');

/**
 * Saves a first version, injects `fault`, and checks a second save fails with E_IO and
 * `errno`, leaving the old file byte-identical and no temp file; then that the next save
 * succeeds with nothing lost or duplicated in the journal.
 */
async function faultLeavesOldFile(
  ctx: Ctx,
  fault: Parameters<FaultyFs['inject']>[0],
  errno: string,
): Promise<void> {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const before = await readFile(summaryPath(ctx));

  ctx.fs.inject(fault);
  summary.incrementItems({ processed: 1 });
  summary.addProgressUpdate('second');
  const err = await rejection(ctx.store.save(summary), 'E_IO');
  assert.is((err.cause as { code?: string }).code, errno, 'the errno error is the cause');
  assert.ok(err.message.includes(summaryPath(ctx)) || err.message.includes('journal'));

  assert.equal(await readFile(summaryPath(ctx)), before, 'old file byte-identical');
  const leftovers = (await listDir(join(ctx.root, 'harvard_2024'))).filter(isTemp);
  assert.equal(leftovers, [], 'no temp file left');

  ctx.fs.clear();
  await ctx.store.save(summary);
  const loaded = await ctx.store.load('harvard_2024', 'collect');
  assert.is(loaded?.summary.itemsProcessed, 2);
  const messages = (await readAllEvents(ctx.store, 'harvard_2024', 'collect'))
    .filter((e) => e.type === 'progress')
    .map((e) => (e.type === 'progress' ? e.message : ''));
  assert.equal(messages, ['second'], 'the event reached the journal exactly once');
  assert.is(summary.pendingEventCount, 0);
}

test('save after ENOSPC during the write leaves the old file intact', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'write', match: isSummaryTemp, errno: 'ENOSPC' }, 'ENOSPC');
});

test('a short write is an error, not a truncated file', async (ctx) => {
  await faultLeavesOldFile(
    ctx,
    { op: 'write', match: isSummaryTemp, shortWrite: true },
    'ESHORTWRITE',
  );
});

test('EIO on fsync of the temp file leaves the old file intact', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'sync', match: isSummaryTemp, errno: 'EIO' }, 'EIO');
});

test('EACCES on rename leaves the old file intact', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'rename', errno: 'EACCES' }, 'EACCES');
});

test('EROFS on rename leaves the old file intact', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'rename', errno: 'EROFS' }, 'EROFS');
});

test('ENOSPC on the journal append fails the save and keeps the events', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'write', match: isJournal, errno: 'ENOSPC' }, 'ENOSPC');
});

test('a short journal append is cut back, so no torn line stays behind', async (ctx) => {
  await faultLeavesOldFile(ctx, { op: 'write', match: isJournal, shortWrite: true }, 'ESHORTWRITE');
  const entries = [];
  for await (const entry of ctx.store.readJournal({
    runName: 'harvard_2024',
    processName: 'collect',
  }))
    entries.push(entry.kind);
  assert.ok(entries.every((kind) => kind === 'event'));
});

test('a failed fsync is never retried: the next save writes a fresh temp file', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  ctx.fs.inject({ op: 'sync', match: isSummaryTemp, errno: 'EIO', times: 1 });
  await rejection(ctx.store.save(summary), 'E_IO');
  const failedTemp = ctx.fs.callsOf('sync', isSummaryTemp).at(-1)?.path;
  await ctx.store.save(summary);
  const syncs = ctx.fs.callsOf('sync', isSummaryTemp).map((c) => c.path);
  assert.is(
    syncs.filter((p) => p === failedTemp).length,
    1,
    'the failed temp file is not synced again',
  );
  assert.is.not(syncs.at(-1), failedTemp);
  const renamed = ctx.fs.callsOf('rename', isSummaryTemp).map((c) => c.path);
  assert.not.ok(renamed.includes(failedTemp as string), 'the failed temp file is never renamed');
});

test('a failed directory fsync is reported: success only after it', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const dir = join(ctx.root, 'harvard_2024');
  ctx.fs.inject({ op: 'sync', match: (p) => p === dir, errno: 'EIO', times: 1 });
  summary.incrementItems({ processed: 7 });
  const err = await rejection(ctx.store.save(summary), 'E_IO');
  assert.match(err.message, /power loss/);
  await ctx.store.save(summary);
  assert.is((await ctx.store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 7);
});

test('the protocol: exclusive temp in the same directory, write, fsync, rename, fsync of the directory', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  ctx.fs.calls.length = 0;
  await ctx.store.save(summary);
  const path = summaryPath(ctx);
  const dir = join(ctx.root, 'harvard_2024');
  const steps = ctx.fs.calls
    .filter((c) => (isSummaryTemp(c.path) && c.op !== 'fstat') || c.path === dir)
    .map((c) => (c.op === 'open' ? `open ${c.detail}` : c.op));
  assert.equal(steps, ['open wx', 'write', 'sync', 'close', 'rename', 'open r', 'sync', 'close']);
  const open = ctx.fs.callsOf('open', isSummaryTemp).at(-1);
  assert.ok(open?.path.startsWith(join(dir, '.process_summary_collect.json.')));
  assert.is(ctx.fs.callsOf('rename', isSummaryTemp).at(-1)?.detail, path);
});

test('temp file names are unique and carry the pid and host tag', () => {
  const names = new Set<string>();
  for (let i = 0; i < 1000; i++) names.add(newTempPath('/x/process_summary_a.json'));
  assert.is(names.size, 1000);
  const [one] = names;
  assert.equal(summaryTempFileOwner((one as string).slice(3)), {
    pid: process.pid,
    hostTag: thisHostTag(),
  });
  assert.match(thisHostTag(), /^[0-9a-f]{8}$/);
  const backup = newTempPath('/x/process_summary_a.json', 'backup').slice(3);
  assert.equal(summaryTempFileOwner(backup), { pid: process.pid, hostTag: thisHostTag() });
  assert.is(summaryTempFileOwner('process_summary_a.json'), undefined);
  assert.is(summaryTempFileOwner(`.notes.txt.123.${thisHostTag()}.ab.tmp`), undefined);
  assert.is(summaryTempFileOwner('.process_summary_a.json.123.ab.tmp'), undefined, 'no host tag');
  // Not summaries for a listing: hidden, and not ending in .json.
  assert.not.match(one as string, /(^|\/)process_summary_.+\.json$/);
});

test('the host tag depends on the host name and the boot', () => {
  const tag = computeHostTag('host-a', 'boot-1');
  assert.is(computeHostTag('host-a', 'boot-1'), tag);
  assert.is.not(computeHostTag('host-b', 'boot-1'), tag);
  assert.is.not(computeHostTag('host-a', 'boot-2'), tag);
  assert.match(computeHostTag('host-a', null), /^[0-9a-f]{8}$/);
});

test('writeFileDurably replaces a file and never leaves it torn', async (ctx) => {
  const path = join(ctx.dir, 'file.json');
  await writeFile(path, 'old');
  await writeFileDurably(ctx.fs, path, Buffer.from('new content'), { logger: silentLogger });
  assert.is(await readFile(path, 'utf8'), 'new content');
  ctx.fs.inject({ op: 'write', match: isTemp, shortWrite: true });
  await rejection(
    writeFileDurably(ctx.fs, path, Buffer.from('x'.repeat(100)), { logger: silentLogger }),
    'E_IO',
  );
  assert.is(await readFile(path, 'utf8'), 'new content');
  assert.equal((await listDir(ctx.dir)).filter(isTemp), []);
});

test.run();
