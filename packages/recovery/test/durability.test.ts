import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempRoot } from './_helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist', 'index.js');

interface Call {
  time: number;
  name: string;
  args: string;
  result: string;
}

/** Reads `strace -ff -ttt` output files (one per thread, so no call is split) in time order. */
function readTrace(prefix: string): Call[] {
  const dir = dirname(prefix);
  const calls: Call[] = [];
  for (const file of readdirSync(dir).filter((f) => f.startsWith(`${prefix.split('/').pop()}.`))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const m = /^(\d+\.\d+) (\w+)\((.*)\)\s+=\s+(\S+)/.exec(line);
      if (m)
        calls.push({
          time: Number(m[1]),
          name: m[2] as string,
          args: m[3] as string,
          result: m[4] as string,
        });
    }
  }
  return calls.sort((a, b) => a.time - b.time);
}

const test = suite('durability of what createProcessSummary creates');

test('every directory it creates is made durable: its parent is fsynced after the mkdir (strace)', async () => {
  if (spawnSync('strace', ['-V']).error !== undefined) {
    process.stdout.write(
      '\n  note: strace is not installed; the directory-durability check is skipped\n',
    );
    return;
  }
  const { root: tmp, cleanup } = tempRoot();
  try {
    const root = join(tmp, 'fresh', 'runs');
    const script = `const { createProcessSummary, releaseProcessSummary } = await import(${JSON.stringify(dist)});
      const s = await createProcessSummary('r', 'p', { root: ${JSON.stringify(root)}, handleSignals: false, heartbeatSeconds: 0 });
      await releaseProcessSummary(s);`;
    const prefix = join(tmp, 'trace');
    const child = spawn(
      'strace',
      [
        '-ff',
        '-ttt',
        '-qq',
        '-e',
        'trace=mkdir,mkdirat,openat,fsync',
        '-o',
        prefix,
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { stdio: 'inherit' },
    );
    assert.is(await new Promise((resolve) => child.on('close', resolve)), 0);
    const calls = readTrace(prefix);
    const fdPaths = new Map<string, string>();
    const fsynced: { path: string; time: number }[] = [];
    const created: { path: string; time: number }[] = [];
    for (const call of calls) {
      const path = /"([^"]*)"/.exec(call.args)?.[1];
      if ((call.name === 'mkdir' || call.name === 'mkdirat') && call.result === '0' && path) {
        created.push({ path, time: call.time });
      } else if (call.name === 'openat' && path && /^\d+$/.test(call.result)) {
        fdPaths.set(call.result, path);
      } else if (call.name === 'fsync') {
        const fd = /^(\d+)/.exec(call.args)?.[1] ?? '';
        const target = fdPaths.get(fd);
        if (target) fsynced.push({ path: target, time: call.time });
      }
    }
    const expected = [join(tmp, 'fresh'), root, join(root, 'r')];
    assert.equal(
      created.map((c) => c.path).filter((p) => expected.includes(p)),
      expected,
      JSON.stringify(created),
    );
    for (const dir of created.filter((c) => expected.includes(c.path))) {
      const parent = dirname(dir.path);
      assert.ok(
        fsynced.some((f) => f.path === parent && f.time >= dir.time),
        `${parent} is fsynced after ${dir.path} is created`,
      );
    }
  } finally {
    cleanup();
  }
});

test.run();
