import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errnoCode } from '../src/fs-seam.js';
import { nodeFileSystem as fs } from '../src/index.js';
import { removeDir, tempDir } from './_helpers.js';

const test = suite<{ dir: string }>('file-system seam');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-seam-');
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

test('exclusive create refuses an existing file (EEXIST)', async ({ dir }) => {
  const path = join(dir, 'f');
  await writeFile(path, 'x');
  try {
    await fs.open(path, 'wx');
    assert.unreachable('opened an existing file exclusively');
  } catch (err) {
    assert.is(errnoCode(err), 'EEXIST');
  }
});

test('mkdir reports the first directory it created, undefined when all existed', async ({
  dir,
}) => {
  assert.is(await fs.mkdir(join(dir, 'a', 'b')), join(dir, 'a'));
  assert.is(await fs.mkdir(join(dir, 'a', 'b')), undefined);
});

test('copyFile never replaces an existing file', async ({ dir }) => {
  await writeFile(join(dir, 'a'), 'a');
  await writeFile(join(dir, 'b'), 'b');
  try {
    await fs.copyFile(join(dir, 'a'), join(dir, 'b'));
    assert.unreachable();
  } catch (err) {
    assert.is(errnoCode(err), 'EEXIST');
  }
});

test('a handle writes, syncs, stats and truncates', async ({ dir }) => {
  const handle = await fs.open(join(dir, 'f'), 'wx', 0o666);
  const data = Buffer.from('hello world');
  assert.is((await handle.write(data, 0, data.length, 0)).bytesWritten, data.length);
  await handle.sync();
  await handle.truncate(5);
  await handle.datasync();
  assert.is((await handle.stat()).size, 5);
  await handle.close();
  const entries = await fs.readdir(dir);
  assert.equal(
    entries.map((e) => [e.name, e.isFile()]),
    [['f', true]],
  );
});

test('errnoCode reads the code of a system error only', () => {
  assert.is(errnoCode(Object.assign(new Error('x'), { code: 'ENOSPC' })), 'ENOSPC');
  assert.is(errnoCode(new Error('x')), undefined);
  assert.is(errnoCode('ENOSPC'), undefined);
});

test.run();
