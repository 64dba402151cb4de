/**
 * A save looks for its summary's owner record every time, and most summaries have none: the
 * look must not cost an open that fails (an error object and its stack each time). The opens
 * are counted by wrapping `node:fs`'s `openSync` (the read is a synchronous node:fs call).
 */
import fs, { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { readOwnerFileSync } from '../src/owner.js';
import { makeSummary, recordingLogger, removeDir, tempDir } from './_helpers.js';

const test = suite<{ dir: string }>('owner record read before each save');
const realOpenSync = fs.openSync;
let opened: string[] = [];

test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-owner-read-');
  opened = [];
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    opened.push(String(path));
    return (realOpenSync as (...args: unknown[]) => number)(path, ...rest);
  }) as typeof fs.openSync;
  syncBuiltinESMExports();
});
test.after.each(async (ctx) => {
  fs.openSync = realOpenSync;
  syncBuiltinESMExports();
  await removeDir(ctx.dir);
});

test('no record: none is opened, by the read or by a save', async (ctx) => {
  assert.is(readOwnerFileSync(join(ctx.dir, 'missing.owner')), undefined);
  const store = new FileSummaryStore({ root: ctx.dir, logger: recordingLogger() });
  const { summary } = makeSummary();
  await store.save(summary);
  await store.save(summary);
  assert.equal(
    opened.filter((path) => path.endsWith('.owner')),
    [],
  );
});

test('a record is still read, and a link where it belongs still refused', (ctx) => {
  const path = join(ctx.dir, 'p.owner');
  const record = { host: 'h', pid: 1, token: 't', since: 1 };
  writeFileSync(path, JSON.stringify(record));
  assert.is(readOwnerFileSync(path)?.record?.token, 't');
  assert.equal(opened, [path]);
  mkdirSync(join(ctx.dir, 'links'));
  const link = join(ctx.dir, 'links', 'p.owner');
  symlinkSync(path, link);
  assert.throws(() => readOwnerFileSync(link));
});

test.run();
