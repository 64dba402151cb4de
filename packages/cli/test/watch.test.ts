import { spawn } from 'node:child_process';
import { waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { binary, cliAsync, runNode, tempRoot, writerScript } from './_helpers.ts';

const test = suite('watch');

test('plain mode prints each change it sees, then the completion, and exits 0', async () => {
  const { root, cleanup } = tempRoot();
  try {
    // Started first: watch waits for the file to appear.
    const watch = spawn(
      process.execPath,
      [binary, 'watch', 'nightly', 'collect', '--root', root, '--interval', '0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    watch.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    watch.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const watched = new Promise<number | null>((resolve) => watch.on('close', resolve));
    // Stepped: each save waits for a line from here, and here waits for watch to show the
    // last one first, so watch sees every state however the two are scheduled.
    const writer = spawn(
      process.execPath,
      [writerScript, root, 'nightly', 'collect', 'completed', '5', 'stepped'],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    const written = new Promise<number | null>((resolve) => writer.on('close', resolve));
    await waitUntil(() => stderr.includes('waiting for nightly/collect'));
    for (let i = 1; i <= 5; i++) {
      writer.stdin.write('save\n');
      await waitUntil(() => stdout.includes(` ${i * 10}/50 `));
    }
    writer.stdin.end('end\n');
    assert.is(await written, 0);
    assert.is(await watched, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.ok(lines.every((l) => l.includes('nightly/collect')));
    const shown = lines.map((l) => / (\d+)\/50 /.exec(l)?.[1]);
    assert.equal([...new Set(shown)], ['10', '20', '30', '40', '50'], stdout);
    assert.match(lines[lines.length - 1] ?? '', /completed 50\/50 \(100%\) ok 50 failed 0/);
    assert.not.ok(stdout.includes('\u001b'));
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
