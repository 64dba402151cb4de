import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { removeDir, tempDir } from './_helpers.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'save-twice.mjs');
const SYSCALLS =
  'openat,close,write,pwrite64,pwritev,fsync,fdatasync,rename,renameat,renameat2,link,linkat';

/** One traced system call: where in the trace it started and returned, and its parsed text. */
interface Syscall {
  name: string;
  args: string;
  result: string;
  start: number;
  end: number;
}

/**
 * Parses `strace -f` output into calls, joining `<unfinished ...>` / `<... resumed>` pairs of
 * one thread, so each call knows the position of its start and of its return.
 */
export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<string, { name: string; head: string; start: number }>();
  text.split('\n').forEach((raw, index) => {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (m === null) return;
    const [, tid, body] = m as unknown as [string, string, string];
    let full: string;
    let start = index;
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(body);
    if (unfinished !== null) {
      open.set(tid, { name: unfinished[1] as string, head: unfinished[2] as string, start: index });
      return;
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(body);
    if (resumed !== null) {
      const begun = open.get(tid);
      if (begun === undefined) return;
      open.delete(tid);
      full = `${begun.name}(${begun.head}${resumed[2]}`;
      start = begun.start;
    } else {
      full = body;
    }
    const call = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(full);
    if (call === null) return;
    calls.push({
      name: call[1] as string,
      args: call[2] as string,
      result: call[3] as string,
      start,
      end: index,
    });
  });
  return calls;
}

const quoted = (args: string): string[] =>
  [...args.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
const fdOf = (args: string): string => (/^(\d+)/.exec(args)?.[1] ?? '') as string;

const test = suite('syscall order');

test('fsync of the temp file precedes the rename, the directory fsync follows it (strace)', async () => {
  if (spawnSync('strace', ['-V']).error !== undefined) {
    process.stdout.write('\n  note: strace is not installed; the syscall-order check is skipped\n');
    return;
  }
  const dir = await tempDir('store-fs-strace-');
  try {
    const root = join(dir, 'runs');
    const tracePath = join(dir, 'trace.txt');
    const args = ['-f', '-qq', '-s', '4096', '-e', `trace=${SYSCALLS}`, '-o', tracePath];
    const child = spawn('strace', [...args, process.execPath, fixture, root], { stdio: 'inherit' });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.is(code, 0, 'the traced save ran');
    const calls = parseTrace(await readFile(tracePath, 'utf8'));
    const runDir = join(root, 'traced');
    const target = join(runDir, 'process_summary_collect.json');

    // Follow file descriptors through the trace to name what each fsync synced.
    const fdPath = new Map<string, string>();
    const named = calls.map((call) => {
      let path = '';
      if (call.name === 'openat') {
        path = quoted(call.args)[0] ?? '';
        if (/^\d+$/.test(call.result)) fdPath.set(call.result, path);
      } else if (
        ['fsync', 'fdatasync', 'close', 'write', 'pwrite64', 'pwritev'].includes(call.name)
      ) {
        path = fdPath.get(fdOf(call.args)) ?? '';
        if (call.name === 'close') fdPath.delete(fdOf(call.args));
      }
      return { ...call, path, paths: quoted(call.args) };
    });

    const renames = named.filter(
      (c) => c.name.startsWith('rename') && c.paths[1] === target && c.result === '0',
    );
    assert.is(renames.length, 2, 'two saves, two renames over the target');
    for (const rename of renames) {
      const temp = rename.paths[0] as string;
      assert.ok(
        temp.endsWith('.tmp') && dirname(temp) === runDir,
        'temp file in the same directory',
      );
      const create = named.find((c) => c.name === 'openat' && c.path === temp);
      assert.match(create?.args ?? '', /O_CREAT\|O_EXCL/, 'temp created exclusively');
      const written = named.filter((c) => c.name.includes('write') && c.path === temp);
      assert.ok(written.length > 0, 'data written to the temp file');
      const tempSync = named.find((c) => c.name === 'fsync' && c.path === temp);
      assert.ok(tempSync, 'the temp file is fsynced');
      assert.ok(
        written.every((w) => w.end < tempSync.start),
        'written before the fsync',
      );
      assert.ok(tempSync.end < rename.start, 'fsync returned before the rename started');
      const dirSync = named.find(
        (c) => c.name === 'fsync' && c.path === runDir && c.start > rename.end,
      );
      assert.ok(dirSync, 'the directory is fsynced after the rename');
      const nextRename = renames.find((r) => r.start > rename.end);
      if (nextRename !== undefined) {
        assert.ok(dirSync.end < nextRename.start, 'and before the next save renames');
      }
    }
    // The journal is durable before the second save's rename.
    const journalSync = named.find(
      (c) =>
        c.name === 'fdatasync' &&
        c.path.endsWith('.events.jsonl') &&
        c.start > (renames[0]?.end ?? 0),
    );
    assert.ok(
      journalSync && journalSync.end < (renames[1]?.start ?? 0),
      'journal fdatasync before the rename',
    );
  } finally {
    await removeDir(dir);
  }
});

test('the trace parser joins unfinished and resumed calls of one thread', () => {
  const calls = parseTrace(
    [
      '10 fsync(18 <unfinished ...>',
      '11 rename("a", "b") = 0',
      '10 <... fsync resumed>)  = 0',
    ].join('\n'),
  );
  assert.equal(
    calls.map((c) => [c.name, c.args, c.start, c.end]),
    [
      ['rename', '"a", "b"', 1, 1],
      ['fsync', '18', 0, 2],
    ],
  );
});

test.run();
