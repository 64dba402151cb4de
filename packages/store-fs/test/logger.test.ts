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

test.run();
