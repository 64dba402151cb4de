import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cli,
  completedRun,
  copySeedFixtures,
  HOSTILE,
  hasRawControl,
  nowSeconds,
  tempRoot,
  writeSummary,
} from './_helpers.ts';

const test = suite('export');

/** `promtool check metrics` on `text`; null when promtool is not installed. */
function promtool(text: string): { code: number | null; output: string } | null {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error !== undefined) {
    console.log('  note: promtool not installed (Debian package "prometheus"); lint skipped');
    return null;
  }
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

test('prometheus: conventional names, 0/1 status per state, accepted by promtool without warnings', async () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    await writeSummary(root, 'nightly', 'collect', completedRun);
    // Running and fresh (saved now by its clock): it has a current rate and an ETA.
    await writeSummary(
      root,
      'nightly',
      'sync',
      (s, clock) => {
        s.setItemsTotal(500);
        s.incrementItems({ processed: 100, successful: 100 });
        clock.advance(10);
      },
      { start: nowSeconds() - 10 },
    );
    await writeSummary(root, 'hostile', 'collect', (s) => s.addError(`a"b\\c${HOSTILE}`, HOSTILE));
    for (const target of [['nightly'], ['harvard_2024'], ['hostile', 'collect']]) {
      const result = cli(['export', ...target, '--root', root, '--format', 'prometheus']);
      assert.is(result.code, 0, result.stderr);
      assert.not.ok(hasRawControl(result.stdout));
      assert.not.match(result.stdout, /^(# (HELP|TYPE) )?\w*summary/m);
      const lint = promtool(result.stdout);
      if (lint !== null) {
        assert.is(lint.code, 0, lint.output);
        assert.is(lint.output.trim(), '', lint.output);
      }
    }
    const nightly = cli(['export', 'nightly', '--root', root, '--format', 'prometheus']).stdout;
    assert.match(nightly, /^# TYPE pipeline_items_processed_total counter$/m);
    assert.match(
      nightly,
      /^pipeline_items_processed_total\{run="nightly",process="collect"\} 1000$/m,
    );
    assert.match(
      nightly,
      /^pipeline_processed_bytes_total\{run="nightly",process="collect"\} 5000000$/m,
    );
    assert.match(
      nightly,
      /^pipeline_status\{run="nightly",process="collect",state="completed_with_failures"\} 1$/m,
    );
    assert.match(
      nightly,
      /^pipeline_status\{run="nightly",process="collect",state="running"\} 0$/m,
    );
    assert.match(
      nightly,
      /^pipeline_start_time_seconds\{run="nightly",process="collect"\} 1750000000$/m,
    );
    assert.match(nightly, /^pipeline_eta_seconds\{run="nightly",process="sync"\} 40$/m);
    assert.match(nightly, /^pipeline_items_expected\{run="nightly",process="sync"\} 500$/m);
    assert.match(
      nightly,
      /^pipeline_errors_by_type_total\{run="nightly",process="collect",type="NetworkError"\} 2$/m,
    );
    // Seed-format times are not dates: no timestamp metrics for them.
    const seed = cli(['export', 'harvard_2024', '--root', root, '--format', 'prometheus']).stdout;
    assert.not.match(seed, /start_time_seconds/);
    assert.not.match(seed, /last_checkpoint_time_seconds/);
    assert.match(
      seed,
      /^pipeline_last_update_time_seconds\{run="harvard_2024",process="collect"\} 1795965372\.285$/m,
    );
    const hostile = cli([
      'export',
      'hostile',
      'collect',
      '--root',
      root,
      '--format',
      'prometheus',
    ]).stdout;
    assert.match(hostile, /type="a\\"b\\\\c/);
  } finally {
    cleanup();
  }
});

test('csv and json', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    await writeSummary(root, 'nightly', 'sync', (s) => s.addProgressUpdate(HOSTILE));
    await writeSummary(root, '=HYPERLINK(1)', 'collect', completedRun);
    const injected = cli(['export', '=HYPERLINK(1)', '--root', root, '--format', 'csv']);
    assert.ok(
      injected.stdout.split('\r\n')[1]?.startsWith("summary,'=HYPERLINK(1),collect,"),
      injected.stdout,
    );
    const csv = cli(['export', 'nightly', '--root', root, '--format', 'csv']);
    assert.is(csv.code, 0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    assert.is(lines.length, 3);
    assert.ok(
      lines[0]?.startsWith('row,run_name,process_name,worker,worker_count,location,status,'),
    );
    assert.ok(lines[1]?.startsWith('summary,nightly,collect,,0,'));
    const json = JSON.parse(
      cli(['export', 'nightly', '--root', root, '--format', 'json']).stdout,
    ) as {
      summaries: { process_name: string; items_processed: number }[];
    };
    assert.equal(
      json.summaries.map((s) => [s.process_name, s.items_processed]),
      [
        ['collect', 1000],
        ['sync', 0],
      ],
    );
    assert.is(cli(['export', 'nightly', '--root', root]).code, 2);
    assert.is(cli(['export', 'nightly', '--root', root, '--format', 'xml']).code, 2);
  } finally {
    cleanup();
  }
});

test.run();
