/**
 * A run never silently starts over: a summary that is gone or unusable, with no usable
 * backup, is rebuilt from its journal (with a warning), or refused with a coded error when
 * only quarantined copies are left; `null` only when there never was anything.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { epochPathFor } from '../src/layout.js';
import { FaultyFs } from './_faulty-fs.js';
import { makeSummary, recordingLogger, rejection, removeDir, tempDir } from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  logger: ReturnType<typeof recordingLogger>;
  store: FileSummaryStore;
}

const test = suite<Ctx>('load of a run with history only');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-history-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.logger = recordingLogger();
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: ctx.logger });
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

const REF = { runName: 'harvard_2024', processName: 'collect' };

/** A run saved twice (items 3 then 7), then its summary and backup deleted: a journal only. */
async function journalOnly(ctx: Ctx, worker?: string): Promise<void> {
  const ref = { ...REF, worker };
  const { summary } = makeSummary(REF.runName, REF.processName, worker);
  summary.incrementItems({ processed: 3, successful: 3 });
  summary.addProgressUpdate('first batch');
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 4, successful: 3, failed: 1 });
  summary.addProgressUpdate('second batch');
  await ctx.store.save(summary);
  const paths = ctx.store.pathsFor(ref);
  await rm(paths.summary);
  await rm(paths.backup);
}

test('a run with only a journal is rebuilt from it, with a warning, and written back', async (ctx) => {
  await journalOnly(ctx);
  const loaded = await ctx.store.load(REF);
  assert.ok(loaded, 'never null: the journal is history');
  assert.is(loaded.summary.itemsProcessed, 7);
  assert.is(loaded.summary.itemsFailed, 1);
  assert.equal(
    loaded.warnings.map((w) => w.code),
    ['W_REBUILT_FROM_JOURNAL'],
  );
  assert.match(loaded.warnings[0]?.message ?? '', /rebuilt from the journal/);
  assert.ok(ctx.logger.lines.some((l) => l.level === 'warn' && /rebuilt/.test(l.message)));
  const written = JSON.parse(await readFile(ctx.store.pathFor('harvard_2024', 'collect'), 'utf8'));
  assert.is(written.items_processed, 7, 'the rebuilt summary is in place for the next load');
  const again = await ctx.store.load(REF);
  assert.equal(again?.warnings, []);
});

test("a worker's journal rebuilds the worker's summary", async (ctx) => {
  await journalOnly(ctx, 'w2');
  const loaded = await ctx.store.load({ ...REF, worker: 'w2' });
  assert.is(loaded?.summary.worker, 'w2');
  assert.is(loaded?.summary.itemsProcessed, 7);
  assert.is(await ctx.store.load(REF), null, 'the plain process has nothing');
});

test('a corrupt summary without a backup is rebuilt from the journal, the bad file kept', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 5 });
  summary.addProgressUpdate('batch'); // journal events carry the run's totals
  await ctx.store.save(summary);
  await writeFile(ctx.store.pathFor('harvard_2024', 'collect'), '{"run_name": "harv');
  const loaded = await ctx.store.load(REF);
  assert.is(loaded?.summary.itemsProcessed, 5);
  assert.equal(
    loaded?.warnings.map((w) => w.code),
    ['W_QUARANTINED', 'W_REBUILT_FROM_JOURNAL'],
  );
  const names = await readdir(join(ctx.root, 'harvard_2024'));
  assert.ok(names.some((n) => n.startsWith('process_summary_collect.json.corrupt-')));
});

test('only quarantined copies left: refused with E_CORRUPT naming them, nothing deleted', async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  const quarantined = join(dir, 'process_summary_collect.json.corrupt-2025-01-01T00-00-00.000Z');
  await writeFile(quarantined, '{');
  const err = await rejection(ctx.store.load(REF), 'E_CORRUPT');
  assert.ok(err.message.includes(quarantined), 'the error names the quarantined copy');
  assert.equal(await readdir(dir), [
    'process_summary_collect.json.corrupt-2025-01-01T00-00-00.000Z',
  ]);
});

test('a journal without a usable event is refused with E_CORRUPT, not a fresh start', async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  const journal = ctx.store.journalPathFor('harvard_2024', 'collect');
  await writeFile(journal, 'not json\n');
  const err = await rejection(ctx.store.load(REF), 'E_CORRUPT');
  assert.match(err.message, /holds no usable event/);
  assert.is(await readFile(journal, 'utf8'), 'not json\n');
});

test('nothing at all, or an archived run, loads as null', async (ctx) => {
  assert.is(await ctx.store.load(REF), null);
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  await ctx.store.archive(REF);
  assert.is(await ctx.store.load(REF), null, 'archived copies are not history of the new run');
});

test("load takes the highest epoch: an old owner's late write over the summary is never loaded", async (ctx) => {
  const paths = ctx.store.pathsFor(REF);
  await mkdir(paths.dir, { recursive: true });
  const stamped = (items: number, epoch: number) => {
    const { summary } = makeSummary();
    summary.incrementItems({ processed: items });
    return JSON.stringify({ ...summary.getSummaryDict(), owner_epoch: epoch });
  };
  // The new owner (epoch 4) wrote its copy; the old one (epoch 3) renamed over the summary late.
  await writeFile(epochPathFor(paths, 4), stamped(40, 4));
  await writeFile(paths.summary, stamped(30, 3));
  await writeFile(epochPathFor(paths, 9), '{"damaged": '); // never hides a good file
  const loaded = await ctx.store.load(REF);
  assert.is(loaded?.summary.itemsProcessed, 40);
  assert.equal(loaded?.warnings, []);
  // Once the summary carries the highest epoch, it is the one.
  await writeFile(paths.summary, stamped(50, 5));
  assert.is((await ctx.store.load(REF))?.summary.itemsProcessed, 50);
});

test('list shows a journal-only run with hasSummary false, read says it has history', async (ctx) => {
  await journalOnly(ctx);
  const listing = await ctx.store.list();
  assert.equal(listing.problems, []);
  assert.equal(
    listing.summaries.map((s) => [s.runName, s.processName, s.hasSummary]),
    [['harvard_2024', 'collect', false]],
  );
  const read = await ctx.store.read(REF);
  assert.ok(read);
  assert.is(read.dict, null);
  assert.is(read.problem?.code, 'E_NOT_FOUND');
  assert.is(read.hasHistory, true);
  assert.equal(await ctx.store.list(), listing, 'read and list changed nothing');
});

/** Every file of the run's directory with its bytes. */
async function snapshot(ctx: Ctx): Promise<Record<string, string>> {
  const dir = join(ctx.root, 'harvard_2024');
  const names = (await readdir(dir)).filter((n) => !n.endsWith('.owner')).sort();
  const out: Record<string, string> = {};
  for (const n of names) {
    const stats = await lstat(join(dir, n));
    // A FIFO would block a read: odd files are named by their type.
    out[n] = stats.isFile()
      ? (await readFile(join(dir, n))).toString('base64')
      : `mode ${stats.mode}`;
  }
  return out;
}

test('allOrNothing: a fault part-way puts back every file it moved; a success returns an undo doing the same', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 5 });
  summary.addProgressUpdate('batch');
  await ctx.store.save(summary);
  summary.addProgressUpdate('batch 2');
  await ctx.store.save(summary);
  const paths = ctx.store.pathsFor(REF);
  await writeFile(paths.summary, '{"run_name": "harv');
  await writeFile(paths.backup, '');
  const before = await snapshot(ctx);
  // The summary and its backup are set aside, then writing the rebuilt summary fails.
  const fs = new FaultyFs();
  fs.inject({ op: 'rename', match: (p) => p.endsWith('.tmp'), errno: 'ENOSPC' });
  const faulty = new FileSummaryStore({ root: ctx.root, logger: ctx.logger, fs });
  await rejection(faulty.load(REF, { allOrNothing: true }), 'E_IO');
  assert.ok(fs.callsOf('link').length + fs.callsOf('rename').length > 1, 'it had moved files');
  assert.equal(await snapshot(ctx), before, 'every file as it was found');

  const loaded = await ctx.store.load(REF, { allOrNothing: true });
  assert.is(loaded?.summary.itemsProcessed, 5);
  assert.not.equal(await snapshot(ctx), before, 'repaired');
  await loaded?.undo?.();
  assert.equal(await snapshot(ctx), before, 'undone: every file as it was found');

  // Without it (the pipeline's load) the repair stays.
  await ctx.store.load(REF);
  assert.not.equal(await snapshot(ctx), before);
});

test('a FIFO, socket, directory or symbolic link where the journal belongs: load refuses at once (E_IO), nothing followed or changed', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const paths = ctx.store.pathsFor(REF);
  const outside = join(ctx.dir, 'outside.jsonl');
  await writeFile(outside, 'OUTSIDE\n');
  for (const kind of ['fifo', 'socket', 'directory', 'symlink'] as const) {
    await rm(paths.journal, { recursive: true, force: true });
    const server = kind === 'socket' ? createServer() : null;
    if (kind === 'fifo') execFileSync('mkfifo', [paths.journal]);
    if (server !== null)
      await new Promise<void>((resolve) => server.listen(paths.journal, resolve));
    if (kind === 'directory') await mkdir(paths.journal);
    if (kind === 'symlink') await symlink(outside, paths.journal);
    try {
      const before = await snapshot(ctx);
      const err = await rejection(new FileSummaryStore({ root: ctx.root }).load(REF), 'E_IO');
      assert.ok(err.message.includes(paths.journal), `${kind}: the error names the journal`);
      assert.equal(await snapshot(ctx).catch(() => before), before, `${kind}: nothing moved`);
      assert.is(await readFile(outside, 'utf8'), 'OUTSIDE\n');
    } finally {
      if (server !== null) await new Promise((resolve) => server.close(resolve));
    }
  }
});

test.run();
