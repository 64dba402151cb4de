import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { completedRun, packageDir, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('root script');
const repo = join(packageDir, '..', '..');

test('`pnpm summary-inspect` at the repository root runs the CLI, stdout left to it', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const result = spawnSync('pnpm', ['summary-inspect', 'list', '--json', '--root', root], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '' },
      timeout: 300_000,
    });
    assert.is(result.status, 0, result.stderr);
    // Nothing but the CLI's JSON on stdout: pnpm's echo and any build output go to stderr.
    const json = JSON.parse(result.stdout) as { summaries: { run_name: string }[] };
    assert.equal(
      json.summaries.map((s) => s.run_name),
      ['nightly'],
    );
  } finally {
    cleanup();
  }
});

test.run();
