import { spawnSync } from 'node:child_process';
import { cp, lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSummaryDict } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { quarantineStamp } from '../src/layout.js';
import {
  listDir,
  listedRefs,
  makeSummary,
  recordingLogger,
  rejection,
  removeDir,
  tempDir,
} from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  logger: ReturnType<typeof recordingLogger>;
  store: FileSummaryStore;
  path: string;
}

const MAX_BYTES = 64 * 1024;
const test = suite<Ctx>('load and quarantine');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-load-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.logger = recordingLogger();
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: ctx.logger, maxFileBytes: MAX_BYTES });
  ctx.path = ctx.store.pathFor('harvard_2024', 'collect');
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

/** Two saves: the file holds items_processed 2, the backup 1. */
async function saveTwoVersions(ctx: Ctx): Promise<void> {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
  summary.incrementItems({ processed: 1 });
  await ctx.store.save(summary);
}

async function quarantinedFiles(ctx: Ctx, of = 'process_summary_collect.json'): Promise<string[]> {
  return (await listDir(dirname(ctx.path))).filter((n) => n.startsWith(`${of}.corrupt-`));
}

const damages: [string, Buffer | string, RegExp][] = [
  ['empty', '', /is empty/],
  ['NUL-filled', Buffer.alloc(4096), /NUL bytes/],
  ['truncated', '{"process_name": "collect", "run_name": "harv', /truncated/],
  ['not JSON', 'process_name = collect\n', /not valid JSON/],
  ['schema-invalid', '{"process_name": "collect"}', /summary schema/],
  ['oversized', `{"x": "${'y'.repeat(MAX_BYTES)}"}`, /over the limit/],
];

for (const [kind, bytes, reason] of damages) {
  test(`a ${kind} file is moved aside and the backup restored, with warnings`, async (ctx) => {
    await saveTwoVersions(ctx);
    await writeFile(ctx.path, bytes);
    const loaded = await ctx.store.load('harvard_2024', 'collect');
    assert.ok(loaded);
    assert.is(loaded.summary.itemsProcessed, 1, 'the previous good version');
    assert.equal(
      loaded.warnings.map((w) => w.code),
      ['W_QUARANTINED', 'W_RESTORED_FROM_BACKUP'],
    );
    assert.match(loaded.warnings[0]?.message ?? '', reason);
    assert.ok(loaded.warnings[0]?.message.includes(ctx.path), 'the warning names the file');
    const [moved] = await quarantinedFiles(ctx);
    assert.ok(moved, 'moved aside');
    assert.equal(await readFile(join(dirname(ctx.path), moved)), Buffer.from(bytes));
    assert.is(ctx.logger.lines.filter((l) => l.level === 'warn').length, 2, 'logged too');
    // The restored version is back in place: a second load needs no backup.
    const again = await ctx.store.load('harvard_2024', 'collect');
    assert.is(again?.summary.itemsProcessed, 1);
    assert.equal(again?.warnings, []);
  });

  test(`a ${kind} file without a backup or journal throws E_CORRUPT, moved aside, never a silent reset`, async (ctx) => {
    const { summary } = makeSummary();
    await ctx.store.save(summary);
    await rm(ctx.store.journalPathFor('harvard_2024', 'collect'));
    await writeFile(ctx.path, bytes);
    const err = await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_CORRUPT');
    assert.match(err.message, reason);
    assert.match(err.message, /no backup/);
    const [moved] = await quarantinedFiles(ctx);
    assert.ok(moved && err.message.includes(moved), 'the error names where the file went');
    assert.equal(await readFile(join(dirname(ctx.path), moved)), Buffer.from(bytes));
  });
}

test('a bad file with a bad backup and no journal: both moved aside, E_CORRUPT lists both', async (ctx) => {
  await saveTwoVersions(ctx);
  await rm(ctx.store.journalPathFor('harvard_2024', 'collect'));
  await writeFile(ctx.path, '{');
  await writeFile(`${ctx.path}.bak`, '');
  const err = await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_CORRUPT');
  assert.match(err.message, /backup is empty/);
  assert.is((await quarantinedFiles(ctx)).length, 1);
  assert.is((await quarantinedFiles(ctx, 'process_summary_collect.json.bak')).length, 1);
});

test('a missing file with a good backup is restored from it', async (ctx) => {
  await saveTwoVersions(ctx);
  await removeDir(ctx.path);
  const loaded = await ctx.store.load('harvard_2024', 'collect');
  assert.is(loaded?.summary.itemsProcessed, 1);
  assert.equal(
    loaded?.warnings.map((w) => w.code),
    ['W_RESTORED_FROM_BACKUP'],
  );
  assert.ok(checkSummaryDict(JSON.parse(await readFile(ctx.path, 'utf8'))).valid);
});

test('a file of a newer version is refused and left alone', async (ctx) => {
  await saveTwoVersions(ctx);
  const dict = JSON.parse(await readFile(ctx.path, 'utf8'));
  dict.schema_version = 99;
  await writeFile(ctx.path, JSON.stringify(dict));
  await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_UNSUPPORTED_VERSION');
  assert.equal(await quarantinedFiles(ctx), []);
  assert.is(JSON.parse(await readFile(ctx.path, 'utf8')).schema_version, 99);
});

test('a valid file of another run is refused with E_NAME_MISMATCH and left alone', async (ctx) => {
  const { summary } = makeSummary('other_run', 'collect');
  await ctx.store.save(summary);
  await cp(ctx.store.pathFor('other_run', 'collect'), ctx.path, { recursive: true });
  await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_NAME_MISMATCH');
  assert.equal(await quarantinedFiles(ctx), []);
});

test('an unreadable path is an I/O error, not corruption', async (ctx) => {
  // The root is a file: opening below it fails with ENOTDIR.
  await writeFile(join(ctx.dir, 'root-file'), '');
  const store = new FileSummaryStore({ root: join(ctx.dir, 'root-file'), logger: ctx.logger });
  const err = await rejection(store.load('harvard_2024', 'collect'), 'E_IO');
  assert.is((err.cause as { code?: string }).code, 'ENOTDIR');
});

test('a FIFO in place of the summary is an I/O error at once, never a hang', async (ctx) => {
  await mkdir(dirname(ctx.path), { recursive: true });
  if (spawnSync('mkfifo', [ctx.path]).status !== 0) return; // no mkfifo here
  const err = await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_IO');
  assert.match(err.message, /not a regular file/);
  assert.equal(await quarantinedFiles(ctx), [], 'not corruption: left alone');
});

// The files written by the Python original, kept once at the repository root.
const fixtures = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'fixtures',
  'seed-format',
  'runs',
);

test('a symbolic link in place of the summary is refused, never followed out of the root', async (ctx) => {
  const outside = join(ctx.dir, 'outside.json');
  const text = JSON.stringify(makeSummary().summary.getSummaryDict());
  await writeFile(outside, text);
  await mkdir(dirname(ctx.path), { recursive: true });
  await symlink(outside, ctx.path);
  const err = await rejection(ctx.store.load('harvard_2024', 'collect'), 'E_IO');
  assert.match(err.message, /symbolic link \(not followed\)/);
  assert.is(await readFile(outside, 'utf8'), text, 'the target is untouched');
  assert.ok((await lstat(ctx.path)).isSymbolicLink(), 'the link is left alone');
});

test('seed-format files load', async (ctx) => {
  await cp(fixtures, ctx.root, { recursive: true });
  const collect = await ctx.store.load('harvard_2024', 'collect');
  assert.ok(collect);
  assert.equal(collect.warnings, []);
  assert.is(collect.summary.itemsProcessed, 1000);
  assert.is(collect.summary.isCompleted, true);
  const sync = await ctx.store.load('harvard_2024', 'sync');
  assert.ok(sync);
  assert.equal(await listedRefs(ctx.store), [
    { runName: 'harvard_2024', processName: 'collect' },
    { runName: 'harvard_2024', processName: 'sync' },
  ]);
  // Resumed and saved, a seed file becomes a current-format file; the seed file is the backup.
  collect.summary.startProcess();
  await ctx.store.save(collect.summary);
  const dict = JSON.parse(await readFile(ctx.path, 'utf8'));
  assert.is(dict.schema_version, 1);
  const backup = await readFile(`${ctx.path}.bak`, 'utf8');
  assert.is(
    backup,
    await readFile(join(fixtures, 'harvard_2024', 'process_summary_collect.json'), 'utf8'),
  );
});

test('quarantine names carry a timestamp without colons', () => {
  assert.is(quarantineStamp(new Date('2025-01-15T10:30:45.123Z')), '2025-01-15T10-30-45.123Z');
});

test.run();
