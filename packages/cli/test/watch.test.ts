import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cliAsync, runNode, tempRoot, writerScript } from './_helpers.ts';

const test = suite('watch');

test('plain mode follows a writer to completion and exits 0', async () => {
  const { root, cleanup } = tempRoot();
  try {
    // Started first: watch waits for the file to appear.
    const watching = cliAsync(['watch', 'nightly', 'collect', '--root', root, '--interval', '0.1']);
    const writer = runNode([writerScript, root, 'nightly', 'collect', 'completed', '5']);
    const [result, writerCode] = await Promise.all([watching, writer]);
    assert.is(writerCode, 0);
    assert.is(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, result.stdout);
    assert.ok(lines.every((l) => l.includes('nightly/collect')));
    assert.match(lines[lines.length - 1] ?? '', /completed 50\/50 \(100%\) ok 50 failed 0/);
    assert.not.ok(result.stdout.includes('\u001b'));
  } finally {
    cleanup();
  }
});

test('a failing writer makes watch exit 1', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const writer = runNode([writerScript, root, 'nightly', 'collect', 'failed', '3']);
    const watching = cliAsync(['watch', 'nightly', 'collect', '--root', root, '--interval', '0.1']);
    const [result] = await Promise.all([watching, writer]);
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stdout, /failed 30\/30/);
  } finally {
    cleanup();
  }
});

test('watch --json prints one list row per change', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await runNode([writerScript, root, 'nightly', 'collect', 'completed', '1']);
    const result = await cliAsync(['watch', 'nightly', 'collect', '--root', root, '--json']);
    assert.is(result.code, 0);
    const row = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<
      string,
      unknown
    >;
    assert.is(row.status, 'completed');
    assert.is(row.items_processed, 10);
  } finally {
    cleanup();
  }
});

test.run();
