import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, tempRoot, writeSummary } from './_helpers.ts';

const test = suite('store option');
const withoutStorePg = fileURLToPath(new URL('./fixtures/without-store-pg.mjs', import.meta.url));

test('--store DIR, --store file://URL and PROCESS_SUMMARY_STORE name the file store', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    for (const [args, env] of [
      [['--store', root], {}],
      [['--store', pathToFileURL(root).href], {}],
      [[], { PROCESS_SUMMARY_STORE: root }],
      [[], { PROCESS_SUMMARY_STORE: pathToFileURL(root).href }],
    ] as const) {
      const result = cli(['list', '--json', ...args], env);
      assert.is(result.code, 0, result.stderr);
      const json = JSON.parse(result.stdout) as { summaries: { run_name: string }[] };
      assert.equal(
        json.summaries.map((s) => s.run_name),
        ['nightly'],
      );
    }
  } finally {
    cleanup();
  }
});

test('postgres:// where store-pg is not installed: exit 3 naming what to install; files still read', async () => {
  const hidden = { NODE_OPTIONS: `--import=${withoutStorePg}` };
  for (const [args, env] of [
    [['--store', 'postgres://user:secret@db.example/runs'], hidden],
    [[], { ...hidden, PROCESS_SUMMARY_STORE: 'postgresql://user:secret@db.example/runs' }],
  ] as const) {
    const result = cli(['list', ...args], env);
    assert.is(result.code, 3, result.stderr);
    assert.is(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /npm install @process-summary\/store-pg pg/);
    // The URL's password is not echoed.
    assert.not.match(result.stderr, /secret/);
  }
  // The bundle loads neither for a file store.
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const files = cli(['list', '--root', root, '--json'], hidden);
    assert.is(files.code, 0, files.stderr);
    const copy = cli(['copy', '--root', root, '--to', join(root, 'copy')], hidden);
    assert.is(copy.code, 0, copy.stderr);
  } finally {
    cleanup();
  }
});

test('an unknown scheme and --store with --root are usage errors (exit 2)', () => {
  const scheme = cli(['list', '--store', 'http://example.com/runs']);
  assert.is(scheme.code, 2);
  assert.match(scheme.stderr, /unknown store "http:\/\/"/);
  const both = cli(['list', '--store', 'a', '--root', 'b']);
  assert.is(both.code, 2);
  assert.match(both.stderr, /--store and --root/);
});

test('--root naming a file: exit 3, one line saying it is a file and how to read it', () => {
  const { root, cleanup } = tempRoot();
  try {
    const file = join(root, 'process_summary_collect.json');
    writeFileSync(file, '{}');
    for (const command of [['list'], ['show', 'nightly'], ['aggregate']]) {
      const result = cli([...command, '--root', file]);
      assert.is(result.code, 3, `${command[0]}: ${result.stderr}`);
      assert.is(result.stderr.trim().split('\n').length, 1);
      assert.match(result.stderr, /is a file, not the directory that holds the runs/);
      assert.match(result.stderr, /summary-inspect show /);
    }
    const check = cli(['check', 'nightly', '--root', file]);
    assert.is(check.code, 3);
    assert.match(check.stdout, /^PIPELINE UNKNOWN - --root .* is a file/);
  } finally {
    cleanup();
  }
});

test.run();
