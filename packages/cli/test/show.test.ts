import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cli,
  completedRun,
  copySeedFixtures,
  HOSTILE,
  hasRawControl,
  seedRuns,
  tempRoot,
  writeSummary,
} from './_helpers.ts';

const test = suite('show');

test('a seed-format file shows relative times, never 1970 dates', () => {
  const result = cli(['show', join(seedRuns, 'harvard_2024', 'process_summary_collect.json')]);
  assert.is(result.code, 0, result.stderr);
  assert.not.match(result.stdout, /1970/);
  assert.match(result.stdout, /started:\s+\+0ms \(perf_counter 322\.295\)/);
  assert.match(result.stdout, /ended:\s+\+8ms/);
  assert.match(result.stdout, /NetworkError\s+5 \(62\.5%\)/);
  assert.match(result.stdout, /Processing batch 15/);
  assert.match(result.stdout, /storage_type: minio/);
  assert.match(result.stdout, /seed \(Python original\)/);
});

test('show <run> <process> --json has the documented shape', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const result = cli(['show', 'nightly', 'collect', '--root', root, '--json']);
    assert.is(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.is(json.run_name, 'nightly');
    assert.is(json.status, 'completed_with_failures');
    assert.is(json.duration_seconds, 100);
    assert.is(json.active_seconds, 100);
    assert.equal(json.errors_by_type, [
      {
        type: 'NetworkError',
        count: 2,
        share_percent: 66.66,
        samples: ['Connection timeout', 'Connection reset'],
        first_seen: 1_750_000_000,
        last_seen: 1_750_000_000,
      },
      {
        type: 'ValidationError',
        count: 1,
        share_percent: 33.33,
        samples: ['Invalid barcode 3204'],
        first_seen: 1_750_000_000,
        last_seen: 1_750_000_000,
      },
    ]);
    assert.equal(json.last_error, { message: 'Invalid barcode 3204', time: 1_750_000_000 });
    assert.is((json.recent_progress_updates as unknown[]).length, 1);
    assert.equal(json.custom_metrics, { storage_type: 'minio' });
    const sessions = json.sessions as Record<string, unknown>[];
    assert.is(sessions.length, 1);
    assert.is(sessions[0]?.end_reason, 'completed');
    const text = cli(['show', 'nightly', 'collect', '--root', root]);
    assert.match(text.stdout, /started:\s+2025-06-15 15:06:40Z/);
    assert.match(text.stdout, /duration:\s+1m 40s/);
    assert.match(text.stdout, /bytes:\s+5\.0 MB/);
  } finally {
    cleanup();
  }
});

test('hostile text in errors, progress and metrics is shown escaped', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'hostile', 'collect', (s) => {
      s.addError(HOSTILE, HOSTILE);
      s.addProgressUpdate(HOSTILE);
      s.setCustomMetric(HOSTILE, { nested: HOSTILE });
    });
    const text = cli(['show', 'hostile', 'collect', '--root', root]);
    assert.is(text.code, 0, text.stderr);
    assert.not.ok(hasRawControl(text.stdout));
    assert.match(text.stdout, /evil\\x1b\[31mRED\\x07bell\\rreturn\\x9b2Jc1\\u202eflip/);
    const json = cli(['show', 'hostile', 'collect', '--root', root, '--json']);
    assert.not.ok(hasRawControl(json.stdout));
    // The JSON still holds the exact text, escaped the JSON way.
    const parsed = JSON.parse(json.stdout) as { last_error: { message: string } };
    assert.is(parsed.last_error.message, HOSTILE);
  } finally {
    cleanup();
  }
});

test('exit codes: invalid file 1, unknown run 3, bad name 2; a run shows every process', () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    const both = cli(['show', 'harvard_2024', '--root', root]);
    assert.is(both.code, 0);
    assert.match(both.stdout, /harvard_2024 \/ collect/);
    assert.match(both.stdout, /harvard_2024 \/ sync/);
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"run_name": "x"}');
    const invalid = cli(['show', bad]);
    assert.is(invalid.code, 1);
    assert.is(invalid.stderr.trim().split('\n').length, 1);
    assert.match(invalid.stderr, /is required but missing/);
    const missing = cli(['show', 'nope', '--root', root]);
    assert.is(missing.code, 3);
    assert.match(missing.stderr, /no run "nope".*runs there: "harvard_2024"/);
    const noProcess = cli(['show', 'harvard_2024', 'nope', '--root', root]);
    assert.is(noProcess.code, 3);
    assert.match(noProcess.stderr, /it has: "collect", "sync"/);
    assert.is(cli(['show', '..', '--root', root]).code, 2);
    assert.not.match(invalid.stderr, /at .*\.js:\d+/);
  } finally {
    cleanup();
  }
});

test('show of a 20,000-update seed-format file works', () => {
  const { root, cleanup } = tempRoot();
  try {
    const start = 322.5;
    const updates = Array.from({ length: 20_000 }, (_, i) => ({
      timestamp: start + i,
      elapsed_seconds: i,
      message: `Processing batch ${i + 1}`,
      items_processed: (i + 1) * 10,
      items_successful: (i + 1) * 10,
      items_failed: 0,
    }));
    const seed = JSON.parse(
      readFileSync(join(seedRuns, 'harvard_2024', 'process_summary_collect.json'), 'utf8'),
    ) as Record<string, unknown>;
    const dict = { ...seed, progress_updates: updates, progress_updates_count: 20_000 };
    const path = join(root, 'big.json');
    writeFileSync(path, JSON.stringify(dict));
    const result = cli(['show', path]);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /Progress \(20,000 updates, latest 5\)/);
    assert.match(result.stdout, /\+5h 33m {2}Processing batch 20000/);
  } finally {
    cleanup();
  }
});

test('a bad update deep in a 20,000-update file is reported, with its path (exit 1)', () => {
  const { root, cleanup } = tempRoot();
  try {
    const seed = JSON.parse(
      readFileSync(join(seedRuns, 'harvard_2024', 'process_summary_collect.json'), 'utf8'),
    ) as Record<string, unknown>;
    const updates = Array.from({ length: 20_000 }, (_, i) => ({
      timestamp: 322.5 + i,
      elapsed_seconds: i,
      message: `Processing batch ${i + 1}`,
      items_processed: (i + 1) * 10,
      items_successful: (i + 1) * 10,
      items_failed: 0,
      batch_size: 10,
    }));
    const file = (spoilt: Record<string, unknown>) => {
      const path = join(root, 'big.json');
      const dict = {
        ...seed,
        progress_updates: updates.map((u, i) => (i === 15_000 ? { ...u, ...spoilt } : u)),
        progress_updates_count: 20_000,
      };
      // 1e400 cannot be stringified: written in the text, as another writer could.
      writeFileSync(path, JSON.stringify(dict).replace('"TOO_LARGE"', '1e400'));
      return path;
    };
    const count = cli(['show', file({ items_processed: '150010' })]);
    assert.is(count.code, 1, count.stdout);
    assert.match(
      count.stderr,
      /big\.json: at \/progress_updates\/15000\/items_processed: must be integer \(expected integer, found "150010"\)/,
    );
    const huge = cli(['show', file({ batch_size: 'TOO_LARGE' })]);
    assert.is(huge.code, 1, huge.stdout);
    assert.match(
      huge.stderr,
      /big\.json: at \/progress_updates\/15000\/batch_size: is out of range: a number too large for a double/,
    );
  } finally {
    cleanup();
  }
});

test.run();
