import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, seedRuns, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('validate');

test('valid files (seed format and current) exit 0', async () => {
  const { root, cleanup } = tempRoot();
  try {
    const { path } = await writeSummary(root, 'nightly', 'collect', completedRun);
    const seed = join(seedRuns, 'harvard_2024', 'process_summary_sync.json');
    const result = cli(['validate', path, seed]);
    assert.is(result.code, 0, result.stdout);
    assert.match(result.stdout, /valid\s+.*process_summary_sync\.json \(seed format\)/);
  } finally {
    cleanup();
  }
});

test('an invalid file: exit 1, each problem with its JSON path, expected and found', () => {
  const { root, cleanup } = tempRoot();
  try {
    const bad = join(root, 'bad.json');
    // The seed fixture with two wrong values.
    const dict = JSON.parse(
      readFileSync(join(seedRuns, 'harvard_2024', 'process_summary_sync.json'), 'utf8'),
    );
    dict.items_failed = 'many';
    dict.progress_updates[0].timestamp = 'x';
    writeFileSync(bad, JSON.stringify(dict));
    const text = cli(['validate', bad]);
    assert.is(text.code, 1);
    assert.match(
      text.stdout,
      /at \/items_failed: must be integer \(expected integer, found "many"\)/,
    );
    assert.match(
      text.stdout,
      /at \/progress_updates\/0\/timestamp: must be number \(expected number, found "x"\)/,
    );
    const json = JSON.parse(cli(['validate', bad, '--json']).stdout) as {
      files: {
        valid: boolean;
        code: string;
        issues: { path: string; expected: string; found: string }[];
      }[];
    };
    const file = json.files[0];
    assert.is(file?.valid, false);
    assert.is(file?.code, 'E_INVALID_SUMMARY');
    assert.ok(
      file?.issues.some(
        (i) => i.path === '/items_failed' && i.expected === 'integer' && i.found === '"many"',
      ),
    );
  } finally {
    cleanup();
  }
});

test('not JSON, empty, missing: one message each; all unreadable exits 3', () => {
  const { root, cleanup } = tempRoot();
  try {
    const empty = join(root, 'empty.json');
    writeFileSync(empty, '');
    const notJson = join(root, 'text.json');
    writeFileSync(notJson, 'hello');
    const result = cli(['validate', empty, notJson]);
    assert.is(result.code, 1);
    assert.match(result.stdout, /empty\.json: is empty/);
    assert.match(result.stdout, /text\.json: is not valid JSON/);
    assert.is(cli(['validate', join(root, 'missing.json')]).code, 3);
    assert.is(cli(['validate']).code, 2);
  } finally {
    cleanup();
  }
});

test('validate <run> [process] checks the stored summaries through the store, workers each', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    await writeSummary(root, 'nightly', 'sync', completedRun, { worker: 'w1' });
    const { path } = await writeSummary(root, 'nightly', 'sync', completedRun, { worker: 'w2' });
    const ok = cli(['validate', 'nightly', 'collect', '--root', root]);
    assert.is(ok.code, 0, ok.stdout);
    const dict = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...dict, items_failed: 'many' }));
    const run = cli(['validate', 'nightly', '--root', root, '--json']);
    assert.is(run.code, 1, run.stdout);
    const json = JSON.parse(run.stdout) as {
      files: { path: string; valid: boolean; issues: { path: string }[] }[];
    };
    assert.equal(
      json.files.map((f) => f.valid),
      [true, true, false],
    );
    assert.match(json.files[2]?.path ?? '', /sync@w2/);
    assert.equal(
      json.files[2]?.issues.map((i) => i.path),
      ['/items_failed'],
    );
    assert.is(cli(['validate', 'nightly', 'nope', '--root', root]).code, 3);
  } finally {
    cleanup();
  }
});

test.run();
