import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  FileSummaryStore,
  inspectSummaryFile,
  inspectSummaryFileSync,
  type SummaryInspection,
} from '../src/index.js';
import { FaultyFs } from './_faulty-fs.js';
import { listDir, makeSummary, removeDir, tempDir } from './_helpers.js';

interface Ctx {
  dir: string;
  store: FileSummaryStore;
  path: string;
}

const MAX_BYTES = 64 * 1024;
const seedFile = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../fixtures/seed-format/runs/harvard_2024/process_summary_collect.json',
);

/** An inspection without the error object behind it (two reads make two error objects). */
function withoutCause(read: SummaryInspection): SummaryInspection {
  if (read.ok) return read;
  const { cause: _cause, ...rest } = read;
  return rest;
}

const test = suite<Ctx>('inspectSummaryFile');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-inspect-');
  ctx.store = new FileSummaryStore({ root: join(ctx.dir, 'runs') });
  ctx.path = ctx.store.pathFor('harvard_2024', 'collect');
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

async function saveOne(ctx: Ctx): Promise<void> {
  const { summary } = makeSummary();
  summary.incrementItems({ processed: 7, successful: 6, failed: 1 });
  await ctx.store.save(summary);
}

test('a valid summary gives its dictionary, format, size and modification time', async (ctx) => {
  await saveOne(ctx);
  const read = await inspectSummaryFile(ctx.path, { maxFileBytes: MAX_BYTES });
  assert.ok(read.ok, read.ok ? '' : read.message);
  const stats = await stat(ctx.path);
  assert.is(read.path, ctx.path);
  assert.is(read.dict.items_processed, 7);
  assert.is(read.seedFormat, false);
  assert.is(read.sizeBytes, stats.size);
  assert.is(read.mtimeSeconds, stats.mtimeMs / 1000);
  assert.equal(inspectSummaryFileSync(ctx.path, { maxFileBytes: MAX_BYTES }), read);
});

test('a file written by the Python original is read as seed format', async () => {
  const read = await inspectSummaryFile(seedFile);
  assert.ok(read.ok, read.ok ? '' : read.message);
  assert.is(read.seedFormat, true);
});

const damages: [string, Buffer | string, string, RegExp][] = [
  ['empty', '', 'E_INVALID_SUMMARY', /is empty/],
  ['NUL-filled', Buffer.alloc(4096), 'E_INVALID_SUMMARY', /filled with NUL bytes/],
  ['truncated', '{"process_name": "coll', 'E_INVALID_SUMMARY', /not valid JSON: truncated/],
  ['not JSON', 'process_name = collect\n', 'E_INVALID_SUMMARY', /is not valid JSON \(/],
  ['cut mid-number', '{"items_processed": 12\n', 'E_INVALID_SUMMARY', /not valid JSON: truncated/],
  // Complete objects with something after them are damaged, never called truncated.
  ['trailing byte', '{"a":1}x', 'E_INVALID_SUMMARY', /is not valid JSON \(Unexpected/],
  ['trailing text', '{"a":1} garbage\n', 'E_INVALID_SUMMARY', /is not valid JSON \(Unexpected/],
  ['extra brace', '{"a":1}}', 'E_INVALID_SUMMARY', /is not valid JSON \(Unexpected/],
  ['schema-invalid', '{"process_name": 3}', 'E_INVALID_SUMMARY', /summary schema \(at \//],
  ['oversized', `{"x": "${'y'.repeat(MAX_BYTES)}"}`, 'E_TOO_LARGE', /over the limit of 65536/],
];

for (const [kind, bytes, code, reason] of damages) {
  test(`a ${kind} file is reported as ${code} and left exactly where it was`, async (ctx) => {
    await saveOne(ctx);
    await saveOne(ctx); // a backup exists: the store's load would restore it; inspection must not
    await writeFile(ctx.path, bytes);
    const before = await listDir(dirname(ctx.path));
    const read = await inspectSummaryFile(ctx.path, { maxFileBytes: MAX_BYTES });
    assert.not.ok(read.ok);
    if (read.ok) return;
    assert.is(read.code, code);
    assert.match(read.reason, reason);
    assert.is(read.message, `${ctx.path}: ${read.reason}`);
    assert.equal(await listDir(dirname(ctx.path)), before, 'nothing moved aside or restored');
    assert.equal(await readFile(ctx.path), Buffer.from(bytes));
    const sync = inspectSummaryFileSync(ctx.path, { maxFileBytes: MAX_BYTES });
    assert.equal(withoutCause(sync), withoutCause(read), 'the synchronous variant agrees');
  });
}

test('a schema problem lists every issue with its JSON path', async (ctx) => {
  await saveOne(ctx);
  const dict = JSON.parse(await readFile(ctx.path, 'utf8'));
  dict.items_failed = 'many';
  dict.error_count = -1;
  await writeFile(ctx.path, JSON.stringify(dict));
  const read = await inspectSummaryFile(ctx.path);
  assert.not.ok(read.ok);
  if (read.ok) return;
  assert.equal(read.issues.map((i) => i.path).sort(), ['/error_count', '/items_failed']);
});

test('a missing file is E_NOT_FOUND; a directory is E_UNREADABLE, not a regular file', async (ctx) => {
  const missing = await inspectSummaryFile(ctx.path);
  assert.is(missing.ok ? 'ok' : missing.code, 'E_NOT_FOUND');
  await mkdir(ctx.path, { recursive: true });
  const directory = await inspectSummaryFile(ctx.path);
  assert.is(directory.ok ? 'ok' : directory.code, 'E_UNREADABLE');
  assert.match(directory.ok ? '' : directory.reason, /is not a regular file/);
});

test('a symbolic link is followed for a file a person names, refused when the store reads', async (ctx) => {
  await saveOne(ctx);
  const link = join(ctx.dir, 'latest.json');
  await symlink(ctx.path, link);
  assert.ok((await inspectSummaryFile(link)).ok, 'followed by default');
  assert.ok(inspectSummaryFileSync(link).ok);
  for (const read of [
    await inspectSummaryFile(link, { followSymlinks: false }),
    inspectSummaryFileSync(link, { followSymlinks: false }),
  ]) {
    assert.is(read.ok ? 'ok' : read.code, 'E_UNREADABLE');
    assert.match(read.ok ? '' : read.reason, /symbolic link \(not followed\)/);
  }
});

test('a FIFO is refused at once, without waiting for a writer', async (ctx) => {
  await mkdir(dirname(ctx.path), { recursive: true });
  const made = spawnSync('mkfifo', [ctx.path]);
  if (made.status !== 0) return; // no mkfifo here: nothing to prove
  // Without O_NONBLOCK the open would wait for a writer forever and this test would time out.
  const read = await inspectSummaryFile(ctx.path);
  assert.is(read.ok ? 'ok' : read.code, 'E_UNREADABLE');
  assert.match(read.ok ? '' : read.reason, /is not a regular file/);
  assert.equal(withoutCause(inspectSummaryFileSync(ctx.path)), withoutCause(read));
});

test('a file of a newer version is E_UNSUPPORTED_VERSION, with or without full validation', async (ctx) => {
  await saveOne(ctx);
  const dict = JSON.parse(await readFile(ctx.path, 'utf8'));
  dict.schema_version = 99;
  await writeFile(ctx.path, JSON.stringify(dict));
  for (const fullValidation of [true, false]) {
    const read = await inspectSummaryFile(ctx.path, { fullValidation });
    assert.not.ok(read.ok);
    if (read.ok) return;
    assert.is(read.code, 'E_UNSUPPORTED_VERSION');
    assert.is(read.issues[0]?.path, '/schema_version');
  }
});

test('without full validation only what a listing shows is checked', async (ctx) => {
  await saveOne(ctx);
  const dict = JSON.parse(await readFile(ctx.path, 'utf8'));
  dict.progress_updates = 'not a list';
  await writeFile(ctx.path, JSON.stringify(dict));
  assert.not.ok((await inspectSummaryFile(ctx.path)).ok, 'the full schema refuses it');
  const quick = await inspectSummaryFile(ctx.path, { fullValidation: false });
  assert.ok(quick.ok, 'a listing can still show it');
  dict.items_processed = -3;
  await writeFile(ctx.path, JSON.stringify(dict));
  const negative = await inspectSummaryFile(ctx.path, { fullValidation: false });
  assert.not.ok(negative.ok);
  if (negative.ok) return;
  assert.is(negative.code, 'E_INVALID_SUMMARY');
  assert.is(negative.issues[0]?.path, '/items_processed');
});

test('a read error of the file system is E_UNREADABLE with its errno', async (ctx) => {
  await saveOne(ctx);
  const fs = new FaultyFs();
  fs.inject({ op: 'read', errno: 'EIO' });
  const read = await inspectSummaryFile(ctx.path, { fs });
  assert.not.ok(read.ok);
  if (read.ok) return;
  assert.is(read.code, 'E_UNREADABLE');
  assert.is(read.errno, 'EIO');
  assert.equal(
    fs.calls.map((c) => c.op),
    ['open', 'fstat', 'read', 'close'],
    'opened, checked, read, closed: nothing written',
  );
});

test.run();
