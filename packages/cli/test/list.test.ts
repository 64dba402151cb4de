import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

const test = suite('list');

interface ListJson {
  root: string;
  summaries: Record<string, unknown>[];
  errors: { path: string; code: string; message: string }[];
}

test('lists seed-format fixtures and current files, one row per (run, process)', async () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    await writeSummary(root, 'nightly', 'collect', completedRun);
    const text = cli(['list', '--root', root]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /harvard_2024\s+collect\s+completed with failures/);
    assert.match(text.stdout, /nightly\s+collect\s+completed with failures\s+1,000\s+990\s+10/);
    assert.not.match(text.stdout, /1970/);
    const json = JSON.parse(cli(['--root', root, '--json']).stdout) as ListJson;
    assert.equal(
      json.summaries.map((s) => `${s.run_name}/${s.process_name}`),
      ['harvard_2024/collect', 'harvard_2024/sync', 'nightly/collect'],
    );
    const seed = json.summaries[0] as Record<string, unknown>;
    assert.is(seed.time_base, 'relative');
    assert.is(seed.seed_format, true);
    assert.is(seed.items_processed, 1000);
    assert.is(seed.error_count, 8);
    const current = json.summaries[2] as Record<string, unknown>;
    assert.is(current.items_total, 1000);
    assert.is(current.file_status, 'completed');
    assert.is(current.error_rate_percent, 1);
    assert.equal(json.errors, []);
  } finally {
    cleanup();
  }
});

test('PROCESS_SUMMARY_ROOT is the default root; a missing root exits 3', async () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    const result = cli(['list'], { PROCESS_SUMMARY_ROOT: root });
    assert.is(result.code, 0);
    assert.match(result.stdout, /harvard_2024/);
    const missing = cli(['list', '--root', join(root, 'nope')]);
    assert.is(missing.code, 3);
    assert.is(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /no such directory/);
  } finally {
    cleanup();
  }
});

test('a corrupt, an oversized and a non-regular file each give an error line; the rest is listed', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'good', 'collect', completedRun);
    mkdirSync(join(root, 'bad'));
    writeFileSync(join(root, 'bad', 'process_summary_truncated.json'), '{"process_name": "trunc');
    writeFileSync(join(root, 'bad', 'process_summary_schema.json'), '{"process_name": 3}');
    // A sparse file: large by stat, cheap on disk; refused unread.
    writeFileSync(join(root, 'bad', 'process_summary_huge.json'), '');
    truncateSync(join(root, 'bad', 'process_summary_huge.json'), 65 * 1024 * 1024);
    mkdirSync(join(root, 'bad', 'process_summary_dir.json'));
    const result = cli(['list', '--root', root]);
    assert.is(result.code, 1);
    assert.match(result.stdout, /good\s+collect/);
    assert.match(result.stderr, /process_summary_truncated\.json: is not valid JSON/);
    assert.match(result.stderr, /process_summary_schema\.json: .*at \/\w+: /);
    assert.match(result.stderr, /process_summary_huge\.json: is 68157440 bytes, over the limit/);
    assert.match(result.stderr, /process_summary_dir\.json: is not a regular file/);
    const json = JSON.parse(cli(['list', '--root', root, '--json']).stdout) as ListJson;
    assert.is(json.summaries.length, 1);
    assert.is(json.errors.length, 4);
    const small = cli(['list', '--root', root, '--max-file-bytes', '100', '--json']);
    const smallJson = JSON.parse(small.stdout) as ListJson;
    assert.is(smallJson.summaries.length, 0);
    assert.ok(
      smallJson.errors.some((e) =>
        /good\/process_summary_collect\.json: is \d+ bytes/.test(e.message),
      ),
    );
  } finally {
    cleanup();
  }
});

test('a symlinked directory loop is reported, not followed forever', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'real', 'collect', completedRun);
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    symlinkSync(root, join(root, 'loop'));
    symlinkSync(join(root, 'nowhere'), join(root, 'broken'));
    const result = cli(['list', '--root', root, '--json']);
    const json = JSON.parse(result.stdout) as ListJson;
    assert.is(result.code, 1);
    assert.equal(
      json.summaries.map((s) => s.run_name),
      ['real'],
    );
    assert.ok(json.errors.some((e) => /alias: is the same directory as/.test(e.message)));
    assert.ok(json.errors.some((e) => /loop: is the same directory as/.test(e.message)));
    assert.ok(json.errors.some((e) => /broken: broken symbolic link/.test(e.message)));
  } finally {
    cleanup();
  }
});

test('a run directory that is a link out of the root is reported, never followed', async () => {
  const { root: base, cleanup } = tempRoot();
  try {
    const root = join(base, 'runs');
    mkdirSync(root);
    await writeSummary(root, 'real', 'collect', completedRun);
    // A summary outside the root, under a run directory linked in.
    const outside = join(base, 'elsewhere');
    await writeSummary(outside, 'away', 'collect', completedRun);
    symlinkSync(join(outside, 'away'), join(root, 'away'));
    const result = cli(['list', '--root', root, '--json']);
    const json = JSON.parse(result.stdout) as ListJson;
    assert.is(result.code, 1);
    assert.equal(
      json.summaries.map((s) => s.run_name),
      ['real'],
    );
    assert.ok(
      json.errors.some(
        (e) =>
          e.code === 'E_UNREADABLE' &&
          /away: a symbolic link leading out of the root/.test(e.message),
      ),
      JSON.stringify(json.errors),
    );
    const show = cli(['show', 'away', 'collect', '--root', root]);
    assert.is.not(show.code, 0);
    assert.match(show.stderr, /leading out of the root; not followed/);
    assert.not.match(show.stdout, /collect/);
    const events = cli(['events', 'away', 'collect', '--root', root]);
    assert.is.not(events.code, 0);
    assert.match(events.stderr, /out of the root/);
  } finally {
    cleanup();
  }
});

test('hostile messages and run names never reach stdout raw', async () => {
  const { root, cleanup } = tempRoot();
  try {
    await writeSummary(root, 'hostile', 'collect', (s) => {
      s.addError(HOSTILE, HOSTILE);
      s.addProgressUpdate(HOSTILE);
      s.setCustomMetric(HOSTILE, HOSTILE);
    });
    // A file the store would refuse to write: names with control characters.
    mkdirSync(join(root, 'x\u001b[2J'));
    writeFileSync(
      join(root, 'x\u001b[2J', 'process_summary_p.json'),
      JSON.stringify({ ...JSON.parse('{}'), run_name: `r${HOSTILE}` }),
    );
    for (const args of [['list'], ['list', '--json']]) {
      const result = cli([...args, '--root', root]);
      assert.not.ok(hasRawControl(result.stdout), result.stdout);
      assert.not.ok(hasRawControl(result.stderr), result.stderr);
    }
    // A directory whose name is not a valid run name is not the store's: not listed, and
    // its name never reaches the terminal raw.
    const text = cli(['list', '--root', root, '--json']);
    assert.equal(
      (JSON.parse(text.stdout) as ListJson).summaries.map((s) => s.run_name),
      ['hostile'],
    );
  } finally {
    cleanup();
  }
});

test('a running summary without an owner is stale once silent; a fresh one is running', async () => {
  const { root, cleanup } = tempRoot();
  try {
    // Saved 5 s ago by its clock.
    await writeSummary(
      root,
      'live',
      'collect',
      (s) => s.incrementItems({ processed: 5, successful: 5 }),
      { start: nowSeconds() - 5 },
    );
    // Saved by a clock of 2025: its last update, and so its silence, is the save time it
    // records, whatever the file's mtime says.
    await writeSummary(root, 'dead', 'collect', (s) =>
      s.incrementItems({ processed: 5, successful: 5 }),
    );
    const json = JSON.parse(cli(['list', '--root', root, '--json']).stdout) as ListJson;
    const byRun = Object.fromEntries(json.summaries.map((s) => [s.run_name, s]));
    assert.is(byRun.dead?.status, 'stale');
    assert.match(String(byRun.dead?.status_reason), /no owner.*no save for/);
    assert.is(byRun.live?.status, 'running');
    // A threshold shorter than its silence makes the live one stale too; 0 is refused.
    const strict = JSON.parse(
      cli(['list', '--root', root, '--json', '--stale-after', '2s']).stdout,
    ) as ListJson;
    assert.ok(strict.summaries.every((s) => s.status === 'stale'));
    const zero = cli(['list', '--root', root, '--stale-after', '0']);
    assert.is(zero.code, 2);
    assert.match(zero.stderr, /--stale-after must be longer than 0/);
  } finally {
    cleanup();
  }
});

test('no colours when NO_COLOR is set or stdout is not a terminal', async () => {
  const { root, cleanup } = tempRoot();
  try {
    copySeedFixtures(root);
    assert.not.ok(cli(['list', '--root', root]).stdout.includes('\u001b'));
    assert.not.ok(cli(['list', '--root', root], { NO_COLOR: '1' }).stdout.includes('\u001b'));
  } finally {
    cleanup();
  }
});

test.run();

const owned = suite('list with a live owner');

owned(
  'a run owned by a live process is running, and its owner record is not a summary',
  async () => {
    const { createProcessSummary, releaseProcessSummary } = await import(
      '@process-summary/recovery'
    );
    const { root, cleanup } = tempRoot();
    const summary = await createProcessSummary('live', 'collect', {
      root,
      handleSignals: false,
      heartbeatSeconds: 0,
    });
    try {
      const json = JSON.parse(cli(['list', '--root', root, '--json']).stdout) as ListJson;
      assert.equal(
        json.summaries.map((s) => `${s.run_name}/${s.process_name}:${s.status}`),
        ['live/collect:running'],
      );
      assert.equal(json.errors, []);
    } finally {
      await releaseProcessSummary(summary);
      cleanup();
    }
  },
);

owned.run();
