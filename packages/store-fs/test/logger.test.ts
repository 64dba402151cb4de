import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const dist = pathToFileURL(
  join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js'),
).href;

/** Runs the default logger in a child (NODE_DEBUG is read at startup) and returns its output. */
function logInChild(nodeDebug: string | undefined): { stdout: string; stderr: string } {
  const script = `
    const { defaultLogger } = await import(${JSON.stringify(dist)});
    defaultLogger.debug({ n: 1 }, 'a debug line');
    defaultLogger.info({}, 'an info line');
    defaultLogger.warn({ path: 'runs/x' }, 'a warning');
    defaultLogger.error({}, 'an error');
  `;
  const env = { ...process.env };
  delete env.NODE_DEBUG;
  if (nodeDebug !== undefined) env.NODE_DEBUG = nodeDebug;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  });
  return { stdout: result.stdout, stderr: result.stderr };
}

const test = suite('default logger');

test('warnings and errors go to stderr, nothing to stdout, debug stays quiet', () => {
  const { stdout, stderr } = logInChild(undefined);
  assert.is(stdout, '');
  assert.match(stderr, /process-summary warn: a warning \{"path":"runs\/x"\}/);
  assert.match(stderr, /process-summary error: an error/);
  assert.not.match(stderr, /debug line/);
  assert.not.match(stderr, /info line/);
});

test('debug and info lines appear when NODE_DEBUG names process-summary', () => {
  const { stdout, stderr } = logInChild('fs,process-summary');
  assert.is(stdout, '');
  assert.match(stderr, /a debug line \{"n":1\}/);
  assert.match(stderr, /an info line/);
});

test("the default logger escapes control characters in messages and fields (a parse error quoting a file's bytes included)", () => {
  const hostile =
    'evil\\u001b[31mRED\\u0007bell\\rreturn\\nprocess-summary warn: forged\\u009b2J\\u202eflip';
  const script = `
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { defaultLogger, FileSummaryStore } = await import(${JSON.stringify(dist)});
    defaultLogger.warn({ detail: '${hostile}' }, '${hostile}');
    defaultLogger.error({}, '${hostile}');
    // A summary whose bytes the JSON parser quotes in its error: the load warning carries them.
    const root = mkdtempSync(join(tmpdir(), 'store-fs-logger-'));
    mkdirSync(join(root, 'r'));
    writeFileSync(join(root, 'r', 'process_summary_p.json'), '${hostile}');
    const store = new FileSummaryStore({ root });
    await store.load({ runName: 'r', processName: 'p' }).catch(() => {});
    (await import('node:fs')).rmSync(root, { recursive: true, force: true });
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.is(result.status, 0, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.ok(lines.length >= 3, result.stderr);
  for (const l of lines) assert.match(l, /^process-summary (warn|error): /, 'no forged line');
  const raw = [...result.stderr.replaceAll('\n', '')].filter((c) => {
    const code = c.codePointAt(0) ?? 0;
    return (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
  assert.equal(raw, [], 'no raw control character reaches stderr');
  assert.match(result.stderr, /evil\\x1b\[31mRED/);
  assert.ok(
    lines.some((l) => l.includes('quarantin') || l.includes('corrupt')),
    result.stderr,
  );
});

test.run();
