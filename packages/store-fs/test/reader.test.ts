/**
 * The reader side of the file store: read, list and events change nothing, take the highest
 * lease epoch, report what they cannot use, and never follow a link out of the root.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFile,
  mkdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { JournalRecord } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { epochPathFor } from '../src/layout.js';
import { FaultyFs } from './_faulty-fs.js';
import {
  listDir,
  makeSummary,
  recordingLogger,
  rejection,
  removeDir,
  tempDir,
} from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  store: FileSummaryStore;
}

const test = suite<Ctx>('reader side');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-reader-');
  ctx.root = join(ctx.dir, 'runs');
  await mkdir(ctx.root);
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: recordingLogger() });
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

const REF = { runName: 'harvard_2024', processName: 'collect' };

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A summary dict as a store with a lease of `epoch` would write it. */
function dictWithEpoch(items: number, epoch: number): Record<string, unknown> {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: items });
  return { ...summary.getSummaryDict(), owner_epoch: epoch };
}

test('read: the dict, its mtime, size and history, through the seam with no write', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 3 });
  await ctx.store.save(summary);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  await utimes(path, 1_700_000_000, 1_700_000_000.5);
  const fs = new FaultyFs();
  const reader = new FileSummaryStore({ root: ctx.root, fs, logger: recordingLogger() });
  const read = await reader.read(REF);
  assert.ok(read);
  assert.equal(read.ref, REF);
  assert.is(read.location, path);
  assert.is(read.dict?.items_processed, 3);
  assert.is(read.writtenAt, 1_700_000_000.5);
  assert.is(read.sizeBytes, (await stat(path)).size);
  assert.is(read.epoch, null);
  assert.is(read.hasHistory, true, 'the journal');
  assert.equal(
    [...new Set(fs.calls.map((c) => c.op))].sort(),
    ['close', 'fstat', 'open', 'read', 'readdir', 'stat'],
    'only reads',
  );
});

test('read reuses a run directory listing while the directory is unchanged', async (ctx) => {
  await ctx.store.save(makeSummary().summary);
  const paths = ctx.store.pathsFor(REF);
  const old = Date.now() / 1000 - 3600;
  await utimes(paths.dir, old, old);
  const fs = new FaultyFs();
  const reader = new FileSummaryStore({ root: ctx.root, fs, logger: recordingLogger() });
  await reader.read(REF);
  fs.calls.length = 0;
  await reader.read(REF);
  assert.equal(
    fs.calls.map((c) => c.op),
    ['stat', 'open', 'fstat', 'read', 'close'],
    'one stat of the directory instead of a readdir',
  );
  // A new entry (an epoch copy) changes the directory: it is listed again and seen.
  await writeFile(epochPathFor(paths, 7), JSON.stringify(dictWithEpoch(70, 7)));
  fs.calls.length = 0;
  const read = await reader.read(REF);
  assert.is(read?.epoch, 7);
  assert.ok(fs.calls.some((c) => c.op === 'readdir'));
});

test('a listing taken in the same instant as the directory changed is never reused', async (ctx) => {
  // A change in the same clock tick as the mtime seen leaves the mtime as it was: here the
  // epoch copy is made and the directory's mtime put back, as such a change would leave it.
  await ctx.store.save(makeSummary().summary);
  const paths = ctx.store.pathsFor(REF);
  // An mtime ahead of the clock: however late a loaded machine takes the first listing, the
  // directory has not been still long enough for it to be trusted.
  const tick = Date.now() / 1000 + 3600;
  await utimes(paths.dir, tick, tick);
  const fs = new FaultyFs();
  const reader = new FileSummaryStore({ root: ctx.root, fs, logger: recordingLogger() });
  assert.is((await reader.read(REF))?.epoch, null);
  await writeFile(epochPathFor(paths, 2), JSON.stringify(dictWithEpoch(20, 2)));
  await utimes(paths.dir, tick, tick);
  fs.calls.length = 0;
  const read = await reader.read(REF);
  assert.ok(
    fs.calls.some((c) => c.op === 'readdir'),
    'listed again',
  );
  assert.is(read?.epoch, 2);
});

test('read of a damaged summary reports it and moves nothing aside', async (ctx) => {
  await ctx.store.save(makeSummary().summary);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  await writeFile(path, '{"run_name": "harv');
  const before = await listDir(join(ctx.root, 'harvard_2024'));
  const read = await ctx.store.read(REF);
  assert.is(read?.dict, null);
  assert.is(read?.problem?.code, 'E_INVALID_SUMMARY');
  assert.match(read?.problem?.message ?? '', /truncated/);
  assert.equal(await listDir(join(ctx.root, 'harvard_2024')), before);
});

test('read takes the highest epoch: an old owner writing late never wins', async (ctx) => {
  const paths = ctx.store.pathsFor(REF);
  await mkdir(paths.dir, { recursive: true });
  // The new owner (epoch 4) wrote its copy; the old owner (epoch 3) renamed over the summary
  // after it, and an even older one (epoch 2) left a copy with the newest mtime.
  await writeFile(epochPathFor(paths, 4), JSON.stringify(dictWithEpoch(40, 4)));
  await writeFile(paths.summary, JSON.stringify(dictWithEpoch(30, 3)));
  await writeFile(epochPathFor(paths, 2), JSON.stringify(dictWithEpoch(20, 2)));
  const read = await ctx.store.read(REF);
  assert.is(read?.epoch, 4);
  assert.is(read?.dict?.items_processed, 40);
  assert.is(read?.location, epochPathFor(paths, 4));
  const quick = await ctx.store.read(REF, { full: false });
  assert.is(quick?.epoch, 4, 'a listing read takes it too');
  // Once the summary itself carries the highest epoch, it is the one.
  await writeFile(paths.summary, JSON.stringify(dictWithEpoch(50, 5)));
  const later = await ctx.store.read(REF);
  assert.is(later?.epoch, 5);
  assert.is(later?.location, paths.summary);
});

test('a damaged epoch copy does not hide a good summary', async (ctx) => {
  const paths = ctx.store.pathsFor(REF);
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.summary, JSON.stringify(dictWithEpoch(30, 3)));
  await writeFile(epochPathFor(paths, 9), '');
  const read = await ctx.store.read(REF);
  assert.is(read?.epoch, 3);
  assert.is(read?.problem, null);
});

test('a symbolic link or FIFO where a summary belongs is reported, never followed or waited on', async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  const outside = join(ctx.dir, 'outside.json');
  await writeFile(outside, JSON.stringify(makeSummary().summary.getSummaryDict()));
  await symlink(outside, join(dir, 'process_summary_collect.json'));
  const linked = await ctx.store.read(REF);
  assert.is(linked?.dict, null);
  assert.is(linked?.problem?.code, 'E_UNREADABLE');
  assert.match(linked?.problem?.reason ?? '', /symbolic link/);
  execFileSync('mkfifo', [join(dir, 'process_summary_sync.json')]);
  const fifo = await ctx.store.read({ runName: 'harvard_2024', processName: 'sync' });
  assert.is(fifo?.problem?.code, 'E_UNREADABLE');
  const listed = await ctx.store.list();
  assert.equal(
    listed.summaries.map((s) => s.processName),
    ['collect', 'sync'],
    'listed, to be reported when read',
  );
});

test('read of nothing is null; of history only, E_NOT_FOUND with hasHistory', async (ctx) => {
  assert.is(await ctx.store.read(REF), null);
  assert.is(await ctx.store.read({ runName: 'nope', processName: 'x' }), null);
  const paths = ctx.store.pathsFor(REF);
  await mkdir(paths.dir, { recursive: true });
  await writeFile(`${paths.summary}.corrupt-2025-01-01T00-00-00.000Z`, '{');
  const read = await ctx.store.read(REF);
  assert.is(read?.problem?.code, 'E_NOT_FOUND');
  assert.is(read?.hasHistory, true);
});

test('setAsideFiles lists quarantined and archived copies of one summary, with sizes', async (ctx) => {
  const { summary } = makeSummary();
  summary.addProgressUpdate('batch');
  await ctx.store.save(summary);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  await writeFile(path, '{');
  await ctx.store.load(REF); // quarantines the damaged file, rebuilds from the journal
  const other = `${ctx.store.pathFor('harvard_2024', 'sync')}.corrupt-2025-01-01T00-00-00.000Z`;
  await writeFile(other, 'x');
  const quarantined = await ctx.store.setAsideFiles(REF);
  assert.is(quarantined.length, 1, "another process's copy is not this summary's");
  assert.match(quarantined[0]?.path ?? '', /process_summary_collect\.json\.corrupt-/);
  assert.is(quarantined[0]?.kind, 'quarantined');
  assert.is(quarantined[0]?.sizeBytes, 1, 'the damaged bytes, kept');
  await ctx.store.archive(REF);
  const names = (await ctx.store.setAsideFiles(REF)).map((f) => [
    f.path
      .slice(ctx.root.length + '/harvard_2024/'.length)
      .replace(/\d{4}-\d\d-[^.]+\.\d{3}Z/g, 'T'),
    f.kind,
  ]);
  assert.equal(names, [
    ['process_summary_collect.events.jsonl.archived-T', 'archived'],
    ['process_summary_collect.json.archived-T', 'archived'],
    ['process_summary_collect.json.corrupt-T.archived-T', 'archived'],
  ]);
  assert.equal(await ctx.store.setAsideFiles({ runName: 'none', processName: 'x' }), []);
});

test('list: workers parsed, sorted, one stat and readdir per run directory, nothing per file', async (ctx) => {
  for (const [run, process, worker] of [
    ['run_b', 'collect', undefined],
    ['run_a', 'sync', 'w2'],
    ['run_a', 'sync', undefined],
    ['run_a', 'sync', 'w1'],
  ] as const) {
    await ctx.store.save(makeSummary(run, process, worker).summary);
  }
  const fs = new FaultyFs();
  const reader = new FileSummaryStore({ root: ctx.root, fs, logger: recordingLogger() });
  const listing = await reader.list();
  assert.equal(listing.problems, []);
  assert.equal(
    listing.summaries.map((s) => [s.runName, s.processName, s.worker ?? null, s.hasSummary]),
    [
      ['run_a', 'sync', null, true],
      ['run_a', 'sync', 'w1', true],
      ['run_a', 'sync', 'w2', true],
      ['run_b', 'collect', null, true],
    ],
  );
  assert.is(listing.summaries[1]?.location, reader.pathFor('run_a', 'sync', 'w1'));
  assert.equal(
    fs.calls.map((c) => `${c.op} ${c.path.slice(ctx.root.length)}`),
    ['readdir ', 'stat /run_a', 'readdir /run_a', 'stat /run_b', 'readdir /run_b'],
  );
  assert.equal(
    (await reader.list({ runName: 'run_b' })).summaries.map((s) => s.processName),
    ['collect'],
  );
  await rejection(reader.list({ runName: '../x' }), 'E_INVALID_NAME');
});

test('list reports symbolic link loops, aliases, links out of the root, broken links and unreadable directories', async (ctx) => {
  await ctx.store.save(makeSummary('real', 'collect').summary);
  await ctx.store.save(makeSummary('secret', 'collect').summary);
  await symlink(ctx.root, join(ctx.root, 'loop'));
  await symlink(join(ctx.root, 'real'), join(ctx.root, 'alias'));
  await symlink(join(ctx.dir, 'nowhere'), join(ctx.root, 'broken'));
  const elsewhere = join(ctx.dir, 'elsewhere');
  await mkdir(elsewhere);
  await writeFile(
    join(elsewhere, 'process_summary_sync.json'),
    JSON.stringify(makeSummary('linked', 'sync').summary.getSummaryDict()),
  );
  await symlink(elsewhere, join(ctx.root, 'linked'));
  // A link to a directory inside the root (not itself a run directory) is followed.
  const deep = join(ctx.root, 'nested', 'deep');
  await mkdir(deep, { recursive: true });
  await writeFile(
    join(deep, 'process_summary_sync.json'),
    JSON.stringify(makeSummary('inner', 'sync').summary.getSummaryDict()),
  );
  await symlink(deep, join(ctx.root, 'inner'));
  const fs = new FaultyFs();
  fs.inject({ op: 'readdir', match: (p) => p.endsWith('/secret'), errno: 'EACCES' });
  const reader = new FileSummaryStore({ root: ctx.root, fs, logger: recordingLogger() });
  const listing = await reader.list();
  assert.equal(
    listing.summaries.map((s) => `${s.runName}/${s.processName}`),
    ['inner/sync', 'real/collect'],
    'a link to a directory inside the root seen nowhere else is followed once; out of it, never',
  );
  const problems = Object.fromEntries(listing.problems.map((p) => [p.location, p.message]));
  assert.match(problems[join(ctx.root, 'loop')] ?? '', /same directory as/);
  assert.match(problems[join(ctx.root, 'alias')] ?? '', /same directory as .*real/);
  assert.match(problems[join(ctx.root, 'broken')] ?? '', /broken symbolic link/);
  assert.match(problems[join(ctx.root, 'secret')] ?? '', /EACCES/);
  assert.match(problems[join(ctx.root, 'linked')] ?? '', /symbolic link leading out of the root/);
  assert.is(listing.problems.length, 5);
  // read refuses it too, through the real file system and through the seam.
  for (const store of [ctx.store, reader]) {
    const read = await store.read({ runName: 'linked', processName: 'sync' });
    assert.is(read?.problem?.code, 'E_UNREADABLE');
    assert.match(read?.problem?.message ?? '', /leading out of the root; not followed/);
    assert.is(read?.summary ?? null, null, 'nothing of the outside file is read');
  }
  assert.is((await ctx.store.read({ runName: 'inner', processName: 'sync' }))?.problem, null);
  // events and oddFiles do not read through it either.
  await appendFile(join(elsewhere, 'process_summary_sync.events.jsonl'), 'not json\n');
  await rejection(
    (async () => {
      for await (const _ of ctx.store.events({ runName: 'linked', processName: 'sync' })) {
      }
    })(),
    'E_IO',
  );
  await mkdir(join(elsewhere, 'process_summary_sync.json.bak'));
  assert.equal(await ctx.store.oddFiles({ runName: 'linked', processName: 'sync' }), []);
});

test('a run directory link pointed out of the root after it was read is refused at once', async (ctx) => {
  const outside = join(ctx.dir, 'outside-run');
  const inside = join(ctx.root, 'nested', 'inside');
  for (const dir of [outside, inside]) {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'process_summary_sync.json'),
      JSON.stringify(makeSummary('moving', 'sync').summary.getSummaryDict()),
    );
  }
  const link = join(ctx.root, 'moving');
  await symlink(inside, link);
  const ref = { runName: 'moving', processName: 'sync' };
  assert.is((await ctx.store.read(ref))?.problem, null);
  await rm(link);
  await symlink(outside, link);
  assert.match((await ctx.store.read(ref))?.problem?.message ?? '', /out of the root/);
});

test('list of a missing root is a problem, not an error', async (ctx) => {
  const store = new FileSummaryStore({ root: join(ctx.dir, 'missing') });
  const listing = await store.list();
  assert.equal(listing.summaries, []);
  assert.equal(
    listing.problems.map((p) => p.code),
    ['E_NOT_FOUND'],
  );
});

test('events: resumable by cursor, corrupt lines reported with their text, a torn tail left', async (ctx) => {
  const { summary } = makeSummary();
  summary.addProgressUpdate('one');
  await ctx.store.save(summary);
  const journal = ctx.store.journalPathFor('harvard_2024', 'collect');
  await appendFile(journal, 'not json\n');
  summary.addProgressUpdate('two');
  await ctx.store.save(summary);
  const label = (r: JournalRecord) =>
    r.event === null ? `problem: ${r.problem.line}` : (r.event.message ?? r.event.type);
  const all = await collect(ctx.store.events(REF));
  assert.equal(all.map(label), ['session_start', 'one', 'problem: not json', 'two']);
  const problem = all[2]?.problem;
  assert.match(problem?.message ?? '', /line 3/);
  const rest = await collect(ctx.store.events(REF, { after: all[1]?.cursor }));
  assert.equal(rest, all.slice(2));
  // An append in progress (no newline yet) is not yielded; the cursor resumes before it.
  await appendFile(journal, '{"type":"progress","message":"thr');
  const last = all[3]?.cursor;
  assert.equal(await collect(ctx.store.events(REF, { after: last })), []);
  await appendFile(journal, 'ee"}\n');
  assert.equal((await collect(ctx.store.events(REF, { after: last }))).map(label), ['three']);
  await rejection(collect(ctx.store.events(REF, { after: 'nonsense' })), 'E_INVALID_ARGUMENT');
  await rejection(collect(ctx.store.events(REF, { after: '999999:9' })), 'E_INVALID_OFFSET');
  assert.is(await readFile(journal, 'utf8').then((t) => t.includes('not json')), true);
});

test('events stop when their signal aborts', async (ctx) => {
  const { summary } = makeSummary();
  for (const m of ['a', 'b', 'c']) summary.addProgressUpdate(m);
  await ctx.store.save(summary);
  const controller = new AbortController();
  const seen: JournalRecord[] = [];
  for await (const record of ctx.store.events(REF, { signal: controller.signal })) {
    seen.push(record);
    if (seen.length === 2) controller.abort();
  }
  assert.is(seen.length, 2);
});

test.run();
