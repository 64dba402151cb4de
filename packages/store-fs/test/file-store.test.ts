import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSummaryDict, ProcessSummary } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { computeHostTag, thisHostTag } from '../src/atomic-write.js';
import { FileSummaryStore } from '../src/index.js';
import { type Call, FaultyFs, isJournal, isTemp } from './_faulty-fs.js';
import {
  listDir,
  listedRefs,
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
  logger: ReturnType<typeof recordingLogger>;
  store: FileSummaryStore;
}

const test = suite<Ctx>('FileSummaryStore');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-store-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.fs = new FaultyFs();
  ctx.logger = recordingLogger();
  ctx.store = new FileSummaryStore({ root: ctx.root, fs: ctx.fs, logger: ctx.logger });
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

const isSummaryTempOpen = (flags: string | undefined, path: string) =>
  flags === 'wx' && isTemp(path) && !path.includes('.bak.');

test('pathFor follows the seed layout, root defaulting to runs', () => {
  assert.is(
    new FileSummaryStore().pathFor('harvard_2024', 'collect'),
    join('runs', 'harvard_2024', 'process_summary_collect.json'),
  );
  const store = new FileSummaryStore({ root: '/data/runs' });
  assert.is(store.pathFor('r', 'p'), '/data/runs/r/process_summary_p.json');
  assert.is(store.backupPathFor('r', 'p'), '/data/runs/r/process_summary_p.json.bak');
  assert.is(store.journalPathFor('r', 'p'), '/data/runs/r/process_summary_p.events.jsonl');
});

test('names are validated before any file-system call', async (ctx) => {
  for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000b', 'x'.repeat(200)]) {
    assert.throws(
      () => ctx.store.pathFor(bad, 'p'),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_NAME',
    );
    await rejection(ctx.store.load(bad, 'p'), 'E_INVALID_NAME');
    await rejection(ctx.store.load('r', bad), 'E_INVALID_NAME');
    await rejection(ctx.store.remove(bad, 'p'), 'E_INVALID_NAME');
    assert.throws(
      () => ctx.store.readJournal({ runName: 'r', processName: bad }),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_NAME',
    );
    assert.throws(
      () => ctx.store.events({ runName: 'r', processName: bad }),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_NAME',
    );
  }
  assert.equal(ctx.fs.calls, []);
});

test('bad options are refused with E_INVALID_ARGUMENT', async (ctx) => {
  for (const options of [{ root: '' }, { maxFileBytes: 0 }, { maxFileBytes: 1.5 }]) {
    assert.throws(
      () => new FileSummaryStore(options),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_ARGUMENT',
    );
  }
  await rejection(ctx.store.save({} as ProcessSummary), 'E_INVALID_ARGUMENT');
});

test('the root and run directories are created, and their entries made durable', async (ctx) => {
  await ctx.store.save(makeSummary().summary);
  const synced = ctx.fs.callsOf('sync').map((c) => c.path);
  assert.ok(synced.includes(ctx.dir), 'parent of the created root fsynced');
  assert.ok(synced.includes(ctx.root), 'root (parent of the created run directory) fsynced');
  assert.ok(
    synced.includes(join(ctx.root, 'harvard_2024')),
    'run directory fsynced after the rename',
  );
});

test('the saved file is the summary dictionary, valid against the schema', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 3, successful: 3 });
  await ctx.store.save(summary);
  const dict = JSON.parse(await readFile(ctx.store.pathFor('harvard_2024', 'collect'), 'utf8'));
  assert.ok(checkSummaryDict(dict).valid);
  assert.equal(dict, summary.getSummaryDict());
});

test('1,000 saves issued at once: every promise resolves, the last state wins, at most 3 writes', async (ctx) => {
  const { summary } = makeSummary();
  const saves: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) {
    summary.incrementItems({ processed: 1 });
    summary.addProgressUpdate(`update ${i}`);
    saves.push(ctx.store.save(summary));
  }
  const settled = await Promise.allSettled(saves);
  assert.ok(settled.every((s) => s.status === 'fulfilled'));
  const writes = ctx.fs.calls.filter((c) => c.op === 'open' && isSummaryTempOpen(c.detail, c.path));
  assert.ok(writes.length <= 3, `${writes.length} physical writes`);
  const loaded = await ctx.store.load('harvard_2024', 'collect');
  assert.is(loaded?.summary.itemsProcessed, 1000);
  const progress = (await readAllEvents(ctx.store, 'harvard_2024', 'collect')).filter(
    (e) => e.type === 'progress',
  );
  assert.is(progress.length, 1000, 'every event journaled once');
});

test('the saves of one turn of the event loop make one write; a save after it started, one more', async (ctx) => {
  const { summary } = makeSummary();
  const summaryWrites = () =>
    ctx.fs.calls.filter((c) => c.op === 'open' && isSummaryTempOpen(c.detail, c.path)).length;
  const saves: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) {
    summary.incrementItems({ processed: 1 });
    saves.push(ctx.store.save(summary));
  }
  await Promise.all(saves);
  assert.is(summaryWrites(), 1, 'one write for the turn');
  summary.incrementItems({ processed: 1 });
  const first = ctx.store.save(summary);
  await new Promise((resolve) => setImmediate(resolve));
  summary.incrementItems({ processed: 1 });
  await Promise.all([first, ctx.store.save(summary)]);
  assert.is(summaryWrites(), 3, 'a save of a later turn is not folded into a started write');
  const loaded = await ctx.store.load('harvard_2024', 'collect');
  assert.is(loaded?.summary.itemsProcessed, 102);
});

test('each save resolves only after a write that holds the state at its call', async (ctx) => {
  // Record the items_processed of each version as it is renamed into place.
  const written = new Map<string, number>();
  let inPlace = -1;
  ctx.fs.gate = (call) => {
    if (call.op === 'write' && isTemp(call.path) && call.data !== undefined) {
      written.set(call.path, JSON.parse(call.data.toString('utf8')).items_processed);
    }
    if (call.op === 'rename' && isTemp(call.path) && !call.path.includes('.bak.')) {
      inPlace = written.get(call.path) ?? -1;
    }
  };
  const { summary } = makeSummary();
  const checks: Promise<void>[] = [];
  for (let i = 1; i <= 200; i++) {
    summary.incrementItems({ processed: 1 });
    checks.push(
      ctx.store.save(summary).then(() => {
        assert.ok(inPlace >= i, `save ${i} resolved with ${inPlace} on disk`);
      }),
    );
    // Let some writes start between calls.
    if (i % 37 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(checks);
  assert.is(inPlace, 200);
});

test('a failed write rejects its own callers only; the pending write still runs', async (ctx) => {
  const { summary } = makeSummary();
  ctx.fs.inject({ op: 'sync', match: isTemp, errno: 'EIO', times: 1 });
  const first = ctx.store.save(summary);
  first.catch(() => {});
  // A save of the same turn would join the first write and share its fate.
  await new Promise((resolve) => setImmediate(resolve));
  summary.incrementItems({ processed: 5 });
  const second = ctx.store.save(summary);
  await rejection(first, 'E_IO');
  await second;
  assert.is((await ctx.store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 5);
});

test('two summary objects of the same file coalesce too, the last one saved wins', async (ctx) => {
  const a = makeSummary().summary;
  const b = makeSummary().summary;
  a.addProgressUpdate('from a');
  b.incrementItems({ processed: 9 });
  b.addProgressUpdate('from b');
  await Promise.all([ctx.store.save(a), ctx.store.save(a), ctx.store.save(b)]);
  assert.is((await ctx.store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 9);
  const messages = (await readAllEvents(ctx.store, 'harvard_2024', 'collect')).flatMap((e) =>
    e.type === 'progress' ? [e.message] : [],
  );
  assert.equal(messages.sort(), ['from a', 'from b']);
});

test('the previous good version is kept as .bak', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const backup = JSON.parse(
    await readFile(ctx.store.backupPathFor('harvard_2024', 'collect'), 'utf8'),
  );
  assert.is(backup.items_processed, 1);
  assert.ok(checkSummaryDict(backup).valid);
});

test('a file damaged outside the store does not replace the backup', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  await writeFile(path, '{"items_processed": garbage');
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const backup = JSON.parse(await readFile(`${path}.bak`, 'utf8'));
  assert.is(backup.items_processed, 1, 'the good backup is kept');
  assert.ok(
    ctx.logger.lines.some((l) => l.level === 'warn' && l.message.includes('changed outside')),
  );
  assert.is((await ctx.store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 3);
});

test('keeping the backup removes no temp name that the rename already took', async (ctx) => {
  const { summary } = makeSummary();
  for (let i = 0; i < 3; i++) {
    summary.incrementItems({ processed: 1 });
    await ctx.store.save(summary);
  }
  assert.is(ctx.fs.callsOf('link').length, 2, 'the two later saves kept a backup');
  assert.equal(ctx.fs.callsOf('unlink'), [], 'no unlink that could only fail');
});

test('a backup name already linking the file in place (a crash between the two renames): its temp name does not stay', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  const { linkSync } = await import('node:fs');
  linkSync(path, `${path}.bak`);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  assert.equal(
    (await listDir(join(ctx.root, 'harvard_2024'))).filter((name) => isTemp(name)),
    [],
    'no temp file left',
  );
  const backup = JSON.parse(await readFile(`${path}.bak`, 'utf8'));
  assert.is(backup.items_processed, 1);
});

test('a directory where the backup belongs: one warning per store, not one per save; said again after a backup was kept', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const backup = ctx.store.backupPathFor('harvard_2024', 'collect');
  await mkdir(backup);
  const backupWarnings = () =>
    ctx.logger.lines.filter((l) => l.level === 'warn' && l.message.includes(backup));
  for (let i = 0; i < 5; i++) {
    summary.incrementItems({ processed: 1 });
    await ctx.store.save(summary);
  }
  // saveSync (an exit handler's) meets the same directory: still the one warning.
  summary.incrementItems({ processed: 1 });
  ctx.store.saveSync(summary);
  assert.is(backupWarnings().length, 1, 'warned once');
  assert.match(backupWarnings()[0]?.message ?? '', 'said once');
  assert.ok(
    ctx.logger.lines.filter((l) => l.level === 'debug' && l.message.includes(backup)).length >= 5,
    'later failures at debug level',
  );
  assert.is((await ctx.store.load('harvard_2024', 'collect'))?.summary.itemsProcessed, 6);
  // Moved away: a backup is kept again; a later failure is a new problem, warned again.
  await rm(backup, { recursive: true });
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  assert.is(JSON.parse(await readFile(backup, 'utf8')).items_processed, 6);
  await rm(backup);
  await mkdir(backup);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  assert.is(backupWarnings().length, 2);
});

test('a valid file written by another store becomes the backup after a check', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 4 });
  await new FileSummaryStore({ root: ctx.root, logger: ctx.logger }).save(summary);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const backup = JSON.parse(
    await readFile(ctx.store.backupPathFor('harvard_2024', 'collect'), 'utf8'),
  );
  assert.is(backup.items_processed, 4);
});

test('a summary over maxFileBytes is refused with E_TOO_LARGE, its events kept', async (ctx) => {
  const store = new FileSummaryStore({ root: ctx.root, maxFileBytes: 2000, logger: ctx.logger });
  const { summary } = makeSummary();
  summary.setCustomMetric('blob', 'x'.repeat(5000));
  const pending = summary.pendingEventCount;
  await rejection(store.save(summary), 'E_TOO_LARGE');
  assert.is(summary.pendingEventCount, pending);
  assert.equal(await listDir(ctx.root), []);
});

test('list skips backups, journals, quarantined, temp and foreign files', async (ctx) => {
  assert.equal(await listedRefs(ctx.store), [], 'absent root');
  await ctx.store.save(makeSummary('run_b', 'sync').summary);
  const s = makeSummary('run_a', 'collect').summary;
  await ctx.store.save(s);
  await ctx.store.save(s);
  const runA = join(ctx.root, 'run_a');
  for (const name of [
    'process_summary_collect.json.corrupt-2025-01-01T00-00-00.000Z',
    '.process_summary_collect.json.123.abc.tmp',
    'process_summary_.json',
    'notes.json',
    'process_summary_x.txt',
  ]) {
    await writeFile(join(runA, name), '{}');
  }
  await mkdir(join(runA, 'process_summary_dir.json'));
  await writeFile(join(ctx.root, 'stray-file'), '');
  // A directory where a summary belongs is listed: reading it reports it (never skipped silently).
  assert.equal(await listedRefs(ctx.store), [
    { runName: 'run_a', processName: 'collect' },
    { runName: 'run_a', processName: 'dir' },
    { runName: 'run_b', processName: 'sync' },
  ]);
});

test('remove deletes the summary, its backup and journal after the save in flight, and archives quarantined copies', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  summary.addProgressUpdate('x');
  const inFlight = ctx.store.save(summary);
  const quarantined = `${ctx.store.pathFor('harvard_2024', 'collect')}.corrupt-2025-01-01T00-00-00.000Z`;
  await writeFile(quarantined, 'bad');
  assert.is(await ctx.store.remove('harvard_2024', 'collect'), true);
  await inFlight;
  const left = await listDir(join(ctx.root, 'harvard_2024'));
  assert.is(left.length, 1);
  assert.match(
    left[0] ?? '',
    /^process_summary_collect\.json\.corrupt-2025-01-01T00-00-00\.000Z\.archived-\d{4}-/,
    'never deleted, but no longer history of the next run',
  );
  assert.is(await ctx.store.load('harvard_2024', 'collect'), null);
  assert.is(await ctx.store.remove('harvard_2024', 'collect'), false);
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid as number;
}

test("temp files of dead writers are removed; a live writer's are left alone", async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  const dead = await deadPid();
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    const deadTemp = `.process_summary_collect.json.${dead}.${thisHostTag()}.abc123.tmp`;
    const deadBackupTemp = `.process_summary_sync.json.bak.${dead}.${thisHostTag()}.abc124.tmp`;
    const liveTemp = `.process_summary_collect.json.${live.pid}.${thisHostTag()}.abc125.tmp`;
    const foreign = `.notes.txt.${dead}.${thisHostTag()}.abc126.tmp`;
    for (const name of [deadTemp, deadBackupTemp, liveTemp, foreign]) {
      await writeFile(join(dir, name), 'partial');
    }
    await ctx.store.save(makeSummary().summary);
    const names = await listDir(dir);
    assert.not.ok(names.includes(deadTemp));
    assert.not.ok(names.includes(deadBackupTemp));
    assert.ok(names.includes(liveTemp), 'a live writer keeps its temp file');
    assert.ok(names.includes(foreign), 'files not ours are left alone');
  } finally {
    live.kill('SIGKILL');
  }
});

test("another host's temp files are left alone, whatever their pid means here", async (ctx) => {
  // Several hosts may share the run directory: a pid dead here may be a live writer there.
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  const dead = await deadPid();
  const otherHost = computeHostTag('another-host', '0b1c2d3e-0000-4000-8000-000000000000');
  assert.is.not(otherHost, thisHostTag());
  const otherHostTemp = `.process_summary_collect.json.${dead}.${otherHost}.abc123.tmp`;
  const otherHostBackupTemp = `.process_summary_collect.json.bak.${dead}.${otherHost}.abc124.tmp`;
  const untagged = `.process_summary_collect.json.${dead}.abc125.tmp`;
  const ownDead = `.process_summary_collect.json.${dead}.${thisHostTag()}.abc126.tmp`;
  for (const name of [otherHostTemp, otherHostBackupTemp, untagged, ownDead]) {
    await writeFile(join(dir, name), 'partial');
  }
  await ctx.store.save(makeSummary().summary);
  const names = await listDir(dir);
  assert.ok(names.includes(otherHostTemp), "another host's temp file is left alone");
  assert.ok(names.includes(otherHostBackupTemp), "another host's backup temp file too");
  assert.ok(names.includes(untagged), 'a name without a host tag is not judged');
  assert.not.ok(names.includes(ownDead), "this host's dead writer's file is removed");
  assert.equal(await listedRefs(ctx.store), [{ runName: 'harvard_2024', processName: 'collect' }]);
});

test('a save recreates a run directory removed behind its back', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  await removeDir(join(ctx.root, 'harvard_2024'));
  await rejection(ctx.store.save(summary), 'E_IO');
  await ctx.store.save(summary);
  assert.ok(await ctx.store.load('harvard_2024', 'collect'));
});

test('a resumed summary keeps its history across store instances', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 10, successful: 10 });
  summary.endProcess();
  await ctx.store.save(summary);
  const other = new FileSummaryStore({ root: ctx.root, logger: ctx.logger });
  const loaded = await other.load('harvard_2024', 'collect');
  assert.ok(loaded);
  assert.ok(loaded.summary instanceof ProcessSummary);
  assert.is(loaded.summary.itemsProcessed, 10);
  assert.is(loaded.summary.status, 'completed');
});

test('saveSync writes the same durable file and journal, synchronously', async (ctx) => {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 2 });
  summary.addProgressUpdate('sync');
  ctx.store.saveSync(summary);
  assert.is(summary.pendingEventCount, 0);
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  assert.is(JSON.parse(await readFile(path, 'utf8')).items_processed, 3);
  assert.is(JSON.parse(await readFile(`${path}.bak`, 'utf8')).items_processed, 1);
  const events = await readAllEvents(ctx.store, 'harvard_2024', 'collect');
  assert.equal(
    events.map((e) => e.type),
    ['session_start', 'progress'],
  );
  assert.equal((await listDir(join(ctx.root, 'harvard_2024'))).filter(isTemp), []);
});

test('an async save overtaken by saveSync does not rename its older state over it', async (ctx) => {
  const { summary } = makeSummary();
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let holding = true;
  ctx.fs.gate = async (call) => {
    if (holding && call.op === 'sync' && isTemp(call.path)) {
      holding = false;
      await held;
    }
  };
  summary.incrementItems({ processed: 1 });
  const asyncSave = ctx.store.save(summary);
  while (holding) await new Promise((r) => setTimeout(r, 1));
  summary.incrementItems({ processed: 1 });
  ctx.store.saveSync(summary);
  release();
  await asyncSave;
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  assert.is(JSON.parse(await readFile(path, 'utf8')).items_processed, 2);
  assert.equal((await listDir(join(ctx.root, 'harvard_2024'))).filter(isTemp), []);
});

/** A gate that holds the first call matching `holds` until `release()`; `reached` once held. */
function holdFirst(ctx: Ctx, holds: (call: Call) => boolean) {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  let reached = false;
  ctx.fs.gate = async (call) => {
    if (!reached && holds(call)) {
      reached = true;
      await released;
    }
  };
  return {
    release,
    async reached(): Promise<void> {
      while (!reached) await new Promise((r) => setTimeout(r, 1));
    },
  };
}

const isSummaryTempRename = (call: Call) =>
  call.op === 'rename' && isTemp(call.path) && !call.path.includes('.bak.');

test("a rename queued after the superseded check cannot land an older state over saveSync's", async (ctx) => {
  // The async write passed its check and its rename waits in the thread pool (held here),
  // the signal handler's saveSync writes a newer state, then the queued rename runs.
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const gate = holdFirst(ctx, isSummaryTempRename);
  summary.incrementItems({ processed: 1 });
  const asyncSave = ctx.store.save(summary);
  await gate.reached();
  summary.incrementItems({ processed: 999 });
  summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  ctx.store.saveSync(summary);
  gate.release();
  await asyncSave; // resolves: the newer, durable state holds its state
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  const dict = JSON.parse(await readFile(path, 'utf8'));
  assert.is(dict.items_processed, 1000);
  assert.is(dict.status, 'interrupted');
  assert.equal((await listDir(join(ctx.root, 'harvard_2024'))).filter(isTemp), []);
  // The store goes on normally.
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  assert.is(JSON.parse(await readFile(path, 'utf8')).items_processed, 1001);
});

test('an async rename that landed before saveSync neither wins nor moves the store back', async (ctx) => {
  // The async rename ran; its continuation (directory fsync) waits while saveSync runs.
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const dir = join(ctx.root, 'harvard_2024');
  let renamed = false;
  const gate = holdFirst(ctx, (call) => {
    if (isSummaryTempRename(call)) renamed = true;
    return renamed && call.op === 'open' && call.path === dir;
  });
  summary.incrementItems({ processed: 1 });
  const asyncSave = ctx.store.save(summary);
  await gate.reached();
  summary.incrementItems({ processed: 1 });
  ctx.store.saveSync(summary);
  gate.release();
  await asyncSave;
  const path = ctx.store.pathFor('harvard_2024', 'collect');
  assert.is(JSON.parse(await readFile(path, 'utf8')).items_processed, 2);
  // The store still knows the version in place is saveSync's: the next save links it as the
  // backup without reading it back to check it.
  ctx.fs.calls.length = 0;
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const reads = ctx.fs.calls.filter((c) => c.op === 'open' && c.path === path);
  assert.equal(reads, [], 'the file in place is known, not read back');
  assert.is(JSON.parse(await readFile(`${path}.bak`, 'utf8')).items_processed, 2);
  assert.is(JSON.parse(await readFile(path, 'utf8')).items_processed, 3);
});

test('a failed async journal append never cuts back lines saveSync made durable', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  ctx.fs.inject({ op: 'datasync', match: isJournal, errno: 'EIO', times: 1 });
  const gate = holdFirst(ctx, (call) => call.op === 'datasync' && isJournal(call.path));
  summary.addProgressUpdate('A: batch 1');
  const asyncSave = ctx.store.save(summary);
  await gate.reached();
  summary.addProgressUpdate('B: batch 2, saved by saveSync');
  ctx.store.saveSync(summary);
  gate.release();
  await rejection(asyncSave, 'E_IO');
  const messages = async () =>
    (await readAllEvents(ctx.store, 'harvard_2024', 'collect'))
      .filter((e) => e.type === 'progress')
      .map((e) => (e as { message?: string }).message);
  assert.ok((await messages()).includes('B: batch 2, saved by saveSync'), 'B kept');
  assert.ok(
    ctx.logger.lines.some((l) => l.level === 'warn' && /not cut back/.test(l.message)),
    'the possible duplicate is reported',
  );
  // A's events were given back: written again, never lost.
  assert.is(summary.pendingEventCount, 1);
  await ctx.store.save(summary);
  const after = await messages();
  assert.ok(after.includes('A: batch 1') && after.includes('B: batch 2, saved by saveSync'));
  const dict = JSON.parse(await readFile(ctx.store.pathFor('harvard_2024', 'collect'), 'utf8'));
  assert.is(dict.progress_updates_count, 2);
});

test("the first append's torn-tail repair never cuts lines saveSync appended meanwhile", async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const journal = ctx.store.journalPathFor('harvard_2024', 'collect');
  await writeFile(journal, `${await readFile(journal, 'utf8')}{"type":"progress","mess`);
  // A new store (after a crash): its first append repairs the tail; hold it while it reads.
  const store = new FileSummaryStore({ root: ctx.root, fs: ctx.fs, logger: ctx.logger });
  const gate = holdFirst(ctx, (call) => call.op === 'read' && isJournal(call.path));
  summary.addProgressUpdate('A: async');
  const asyncSave = store.save(summary);
  await gate.reached();
  summary.addProgressUpdate('B: saved by saveSync');
  store.saveSync(summary); // repairs the tail itself, then appends
  gate.release();
  await asyncSave;
  const entries = [];
  for await (const entry of store.readJournal({ runName: 'harvard_2024', processName: 'collect' }))
    entries.push(entry);
  assert.ok(
    entries.every((e) => e.kind === 'event'),
    'no torn or corrupt line left',
  );
  const messages = entries.map((e) =>
    e.kind === 'event' ? (e.event as { message?: string }).message : undefined,
  );
  assert.ok(messages.includes('B: saved by saveSync'), 'B kept');
  assert.ok(messages.includes('A: async'), 'A appended');
});

test('saveSync refuses an oversized summary and keeps its events', async (ctx) => {
  const store = new FileSummaryStore({ root: ctx.root, maxFileBytes: 1000, logger: ctx.logger });
  const { summary } = makeSummary();
  const pending = summary.pendingEventCount;
  assert.throws(
    () => store.saveSync(summary),
    (e: Error & { code?: string }) => e.code === 'E_TOO_LARGE',
  );
  assert.is(summary.pendingEventCount, pending);
});

test('archive moves the summary and journal aside for a fresh start and drops the backup', async (ctx) => {
  assert.is(await ctx.store.archive('harvard_2024', 'collect'), null);
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  const archived = await ctx.store.archive('harvard_2024', 'collect');
  assert.match(archived ?? '', /process_summary_collect\.json\.archived-\d{4}-/);
  assert.is(JSON.parse(await readFile(archived as string, 'utf8')).items_processed, 1);
  assert.is(await ctx.store.load('harvard_2024', 'collect'), null, 'no backup to restore from');
  assert.equal(await listedRefs(ctx.store), []);
  const names = await listDir(join(ctx.root, 'harvard_2024'));
  assert.is(names.length, 2);
  assert.ok(names.some((n) => n.startsWith('process_summary_collect.events.jsonl.archived-')));
});

test.run();
