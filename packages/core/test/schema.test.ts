import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkSummaryDict,
  createManualClock,
  ProcessSummary,
  type SummaryDict,
  summarySchema,
} from '../src/index.js';
import { fresh, SEED_KEYS, seedFixture, T0, throwsCode } from './_helpers.js';

const seed = suite('seed-format files');

for (const name of ['collect', 'sync'] as const) {
  seed(`the fixture ${name} loads and keeps every seed key's value`, () => {
    const original = seedFixture(name);
    const summary = ProcessSummary.fromDict(original);
    const dict = summary.getSummaryDict() as unknown as Record<string, unknown>;
    for (const key of SEED_KEYS) assert.equal(dict[key], original[key], key);
    assert.is(checkSummaryDict(original).seedFormat, true);
    assert.is(checkSummaryDict(dict).valid, true, 'what it writes back is valid');
  });
}

seed('a completed seed summary reads as completed, a running one as running', () => {
  assert.is(ProcessSummary.fromDict(seedFixture('collect')).status, 'completed');
  assert.is(ProcessSummary.fromDict(seedFixture('sync')).status, 'running');
});

seed('resuming a seed summary moves its perf_counter times to now, keeping durations', () => {
  const clock = createManualClock(T0);
  const original = seedFixture('sync');
  const summary = ProcessSummary.fromDict(original, { clock });
  summary.startProcess();
  const d = summary.getSummaryDict();
  const lastError = original.last_error_time as number;
  const start = original.start_time as number;
  const shift = d.start_time - start;
  assert.ok(d.start_time > 1e9, 'epoch time now');
  assert.ok(Math.abs((d.last_error_time as number) - d.start_time - (lastError - start)) < 1e-6);
  assert.ok(Math.abs((d.progress_updates[0]?.timestamp ?? 0) - shift - 322.30289135) < 1e-6);
  assert.is(d.items_processed, 420, 'counts kept');
  assert.is(d.session_count, 1);
});

seed.run();

const current = suite('current-format files');

current('a round trip of the current format is lossless', () => {
  const { summary, clock } = fresh({ limits: { maxProgressUpdates: 5 } });
  summary.startProcess({ host: 'h', pid: 9, bootId: 'b' });
  summary.setItemsTotal(1000);
  for (let i = 0; i < 12; i++) {
    clock.advance(1.5);
    summary.incrementItems({ processed: 10, successful: 9, failed: 1, retried: 1, bytes: 512 });
    summary.addError(i % 2 ? 'NetworkError' : 'ValidationError', `failure ${i}`);
    summary.addProgressUpdate(`batch ${i}`, { batch: i, tags: ['x', { y: null }] });
  }
  summary.setCustomMetric('storage_type', 'minio');
  summary.setCustomMetric('config', { retries: 3, hosts: ['a', 'b'], ok: true });
  const written = JSON.parse(JSON.stringify(summary.getSummaryDict())) as SummaryDict;
  const loaded = ProcessSummary.fromDict(written, { clock, limits: { maxProgressUpdates: 5 } });
  assert.equal(loaded.getSummaryDict(), written);
  const completed = fresh();
  completed.summary.startProcess();
  completed.clock.advance(7);
  completed.summary.endProcess();
  const done = JSON.parse(JSON.stringify(completed.summary.getSummaryDict()));
  assert.equal(ProcessSummary.fromDict(done).getSummaryDict(), done);
});

current('property: counters survive the round trip whatever was added', () => {
  const counts = fc.record({
    processed: fc.nat({ max: 1e6 }),
    successful: fc.nat({ max: 1e6 }),
    failed: fc.nat({ max: 1e6 }),
    retried: fc.nat({ max: 1e6 }),
    bytes: fc.nat({ max: 2 ** 40 }),
  });
  fc.assert(
    fc.property(fc.array(counts, { maxLength: 30 }), (increments) => {
      const { summary } = fresh();
      for (const c of increments) summary.incrementItems(c);
      const sum = (k: keyof (typeof increments)[number]) =>
        increments.reduce((total, c) => total + c[k], 0);
      const loaded = ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
      assert.is(loaded.itemsProcessed, sum('processed'));
      assert.is(loaded.itemsSuccessful, sum('successful'));
      assert.is(loaded.itemsFailed, sum('failed'));
      assert.is(loaded.itemsRetried, sum('retried'));
      assert.is(loaded.bytesProcessed, sum('bytes'));
    }),
  );
});

current('a loaded summary that never resumed keeps its stored rates and date', () => {
  const { summary, clock } = fresh();
  summary.startProcess();
  summary.setItemsTotal(100);
  summary.incrementItems({ processed: 10 });
  clock.advance(10);
  const written = JSON.parse(JSON.stringify(summary.getSummaryDict())) as SummaryDict;
  clock.advance(1000);
  const loaded = ProcessSummary.fromDict(written, { clock }).getSummaryDict();
  assert.is(loaded.processing_rate_per_second, 1);
  assert.is(loaded.current_rate_per_second, 1);
  assert.is(loaded.eta_seconds, 90);
  assert.is(loaded.generated_at, written.generated_at);
});

current('an unfinished session from the file is closed as a crash when started again', () => {
  const { summary, clock } = fresh();
  summary.startProcess({ pid: 1 });
  summary.incrementItems({ processed: 5 });
  clock.advance(30);
  const written = JSON.parse(JSON.stringify(summary.getSummaryDict()));
  clock.advance(600);
  const loaded = ProcessSummary.fromDict(written, { clock });
  assert.is(loaded.unfinishedSession?.number, 1);
  loaded.startProcess({ pid: 2 });
  const d = loaded.getSummaryDict();
  assert.is(d.sessions[0]?.end_reason, 'crash');
  assert.is(d.sessions[0]?.end_time, T0 + 30, 'its last sign of life');
  assert.is(d.sessions[1]?.pid, 2);
  assert.is(d.interruption_count, 1);
  assert.is(d.active_seconds, 30, 'the crashed session counted up to its last save');
  assert.is(d.start_time, T0, 'the run keeps its start');
});

current.run();

const invalid = suite('invalid dictionaries');

invalid('fromDict throws E_INVALID_SUMMARY naming the JSON path', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...seedFixture('collect'), items_processed: 'many' }, '/items_processed'],
    [{ ...seedFixture('collect'), error_types: { NetworkError: -2 } }, '/error_types/NetworkError'],
    [
      {
        ...seedFixture('collect'),
        progress_updates: [
          { ...((seedFixture('collect').progress_updates as object[])[0] ?? {}), timestamp: 'x' },
        ],
      },
      '/progress_updates/0/timestamp',
    ],
  ];
  for (const [dict, path] of cases) {
    try {
      ProcessSummary.fromDict(dict);
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_INVALID_SUMMARY');
      assert.match((err as Error).message, path);
    }
  }
});

invalid('a missing key is named; a non-object is refused', () => {
  const { run_name: _, ...noRun } = seedFixture('collect');
  try {
    ProcessSummary.fromDict(noRun);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_SUMMARY');
    assert.match((err as Error).message, '/run_name');
  }
  for (const bad of [null, 42, 'text', []])
    throwsCode(() => ProcessSummary.fromDict(bad), 'E_INVALID_SUMMARY');
});

invalid('a current-format file missing an addition is invalid', () => {
  const dict = JSON.parse(JSON.stringify(fresh().summary.getSummaryDict()));
  delete dict.sessions;
  throwsCode(() => ProcessSummary.fromDict(dict), 'E_INVALID_SUMMARY');
});

invalid('a file from a newer schema version is refused with E_UNSUPPORTED_VERSION', () => {
  const dict = { ...fresh().summary.getSummaryDict(), schema_version: 99 };
  throwsCode(() => ProcessSummary.fromDict(dict), 'E_UNSUPPORTED_VERSION');
  assert.is(checkSummaryDict(dict).valid, false);
});

invalid('a dictionary whose names could escape the root is refused', () => {
  throwsCode(
    () => ProcessSummary.fromDict({ ...seedFixture('collect'), run_name: '../etc' }),
    'E_INVALID_NAME',
  );
});

invalid('checkSummaryDict reports every problem with path, expected and found', () => {
  const check = checkSummaryDict({ ...seedFixture('sync'), items_failed: -1, status: 'weird' });
  assert.is(check.valid, false);
  const byPath = new Map(check.issues.map((i) => [i.path, i]));
  assert.is(byPath.get('/items_failed')?.found, '-1');
  assert.is(byPath.get('/items_failed')?.expected, '>= 0');
  assert.is(byPath.get('/status')?.found, '"weird"');
});

invalid('a number out of range is reported as out of range, not as "found null"', () => {
  const text = JSON.stringify(fresh().summary.getSummaryDict());
  const cases: [string, string][] = [
    ['"items_processed":0', '/items_processed'],
    ['"start_time":1750000000', '/start_time'],
    ['"success_rate_percent":0', '/success_rate_percent'],
    ['"custom_metrics":{}', '/custom_metrics/big'],
  ];
  for (const [from, path] of cases) {
    const [key] = from.split(':');
    const to = key === '"custom_metrics"' ? '"custom_metrics":{"big":-1e400}' : `${key}:1e400`;
    const dict = JSON.parse(text.replace(from, to));
    try {
      ProcessSummary.fromDict(dict);
      assert.unreachable(`${path} accepted`);
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_INVALID_SUMMARY');
      const message = (err as Error).message;
      assert.match(message, `${path}: is out of range`);
      assert.not.match(message, 'null');
    }
    const issue = checkSummaryDict(dict).issues[0];
    assert.is(issue?.path, path);
    assert.match(issue?.found ?? '', /Infinity/);
  }
});

invalid('a time no Date can hold is out of range, so differences of times stay finite', () => {
  const dict = { ...fresh().summary.getSummaryDict(), start_time: -1.7e308, end_time: 1.7e308 };
  try {
    ProcessSummary.fromDict(dict);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_INVALID_SUMMARY');
    assert.match((err as Error).message, '/start_time: must be >= -8640000000000');
  }
});

invalid('property: the success rate of any file read back stays within 0 and 100', () => {
  const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  fc.assert(
    fc.property(count, count, count, (processed, successful, failed) => {
      const dict = {
        ...JSON.parse(JSON.stringify(fresh().summary.getSummaryDict())),
        items_processed: processed,
        items_successful: successful,
        items_failed: failed,
      };
      const rate = ProcessSummary.fromDict(dict).getSummaryDict().success_rate_percent;
      return rate >= 0 && rate <= 100;
    }),
  );
});

invalid.run();

const exported = suite('the schema as a file');

exported('is JSON Schema 2020-12 and is shipped as @process-summary/core/schema.json', () => {
  assert.is(summarySchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  const require = createRequire(import.meta.url);
  const path = require.resolve('@process-summary/core/schema.json');
  assert.equal(JSON.parse(readFileSync(path, 'utf8')), summarySchema);
});

exported.run();
