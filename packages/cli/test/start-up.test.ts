import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binary, tempRoot } from './_helpers.ts';

const test = suite('start-up');

// Node >= 22.1 has module.enableCompileCache: the binary turns it on (cache in the OS temp
// directory), unless NODE_DISABLE_COMPILE_CACHE is set. Node 20 has none and writes nothing.
test('the compile cache: on where Node has one, off with NODE_DISABLE_COMPILE_CACHE', () => {
  const store = tempRoot();
  const temp = tempRoot();
  try {
    const base = { ...process.env };
    delete base.NODE_COMPILE_CACHE;
    delete base.NODE_DISABLE_COMPILE_CACHE;
    /** Whether a `list` run with `env` wrote a compile cache into its OS temp directory. */
    const cached = (name: string, env: Record<string, string>) => {
      const tmp = join(temp.root, name);
      mkdirSync(tmp);
      const child = spawnSync(process.execPath, [binary, 'list', '--root', store.root], {
        encoding: 'utf8',
        env: { ...base, TMPDIR: tmp, ...env },
      });
      assert.is(child.status, 0, child.stderr);
      return existsSync(join(tmp, 'node-compile-cache'));
    };
    const nodeHasOne = typeof module.enableCompileCache === 'function';
    assert.is(cached('on', {}), nodeHasOne);
    assert.is(cached('off', { NODE_DISABLE_COMPILE_CACHE: '1' }), false);
  } finally {
    store.cleanup();
    temp.cleanup();
  }
});

test.run();
